"""Drop-in compatibility layers for other autodiff libraries."""
