"""lean_chain: plan cross-border e-commerce supply chains at minimum landed cost."""

import lean_chain._numba_cache  # noqa: F401  (before numba: kernels cache per user)
from lean_chain.api import evaluate, solve, write_plan
from lean_chain.costs.model import build_cost_model
from lean_chain.errors import (
    InfeasibleError,
    InstanceError,
    Issue,
    LeanChainError,
    PlanError,
    SelfCheckError,
    SolverNotAvailableError,
)
from lean_chain.formulation.build import build_problem
from lean_chain.generate import generate
from lean_chain.load import load_instance
from lean_chain.model.instance import Instance

__version__ = "0.1.0"

__all__ = [
    "InfeasibleError",
    "Instance",
    "InstanceError",
    "Issue",
    "LeanChainError",
    "PlanError",
    "SelfCheckError",
    "SolverNotAvailableError",
    "__version__",
    "build_cost_model",
    "build_problem",
    "evaluate",
    "generate",
    "load_instance",
    "solve",
    "write_plan",
]
