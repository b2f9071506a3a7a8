"""Who may use leakwatch: analysts (password login) and institutions (API tokens)."""

from .analysts import AccountError, AnalystStore, LoginThrottle
from .tokens import InstitutionTokens

__all__ = ["AccountError", "AnalystStore", "InstitutionTokens", "LoginThrottle"]
