"""Multinomial logistic regression trained with L-BFGS; works on dense or sparse features."""

from __future__ import annotations

import numpy as np
from scipy import optimize, sparse

Features = np.ndarray | sparse.csr_matrix


class SoftmaxRegression:
    def __init__(self, l2: float = 1e-3, scale: float = 1.0, max_iter: int = 300) -> None:
        self.l2 = l2
        self.scale = scale  # cosine-normalised features are small; scaling lets weights stay modest
        self.max_iter = max_iter
        self.weights = np.zeros((0, 0))
        self.bias = np.zeros(0)

    def fit(self, x: Features, y: np.ndarray, n_classes: int) -> SoftmaxRegression:
        n, d = x.shape
        onehot = np.eye(n_classes)[y]
        xs = x * self.scale

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w = theta[: d * n_classes].reshape(d, n_classes)
            b = theta[d * n_classes :]
            z = np.asarray(xs @ w) + b
            z -= z.max(axis=1, keepdims=True)
            log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            value = -(onehot * log_p).sum() / n + 0.5 * self.l2 * (w * w).sum()
            g = (np.exp(log_p) - onehot) / n
            grad_w = np.asarray(xs.T @ g) + self.l2 * w
            return value, np.concatenate([grad_w.ravel(), g.sum(axis=0)])

        start = np.zeros(d * n_classes + n_classes)
        result = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter})
        self.weights = result.x[: d * n_classes].reshape(d, n_classes)
        self.bias = result.x[d * n_classes :]
        return self

    def log_proba(self, x: Features) -> np.ndarray:
        z = np.asarray((x * self.scale) @ self.weights) + self.bias
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
