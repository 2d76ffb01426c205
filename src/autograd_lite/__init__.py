"""autograd_lite: a small reverse-mode autodiff engine over numpy."""

__version__ = "0.1.0"
