# Bootstrap: only Python 3.11 + pip + make are assumed.  `make test` / `make demo`
# create .venv and install the project with its `dev` extra pinned by constraints.txt.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint venv graphviz clean
.DEFAULT_GOAL := test

demo: venv graphviz
	$(PY) -m autograd_lite.demo

test: venv graphviz
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest -p no:cacheprovider --timeout=600 --durations=20 \
		--doctest-modules --nbmake tests src/autograd_lite notebooks
	$(PY) -m mypy src/autograd_lite
	$(PY) -m ruff check src tests notebooks

lint: venv
	$(PY) -m ruff check src tests notebooks

venv: $(STAMP)

# A venv without pip (Debian without python3-venv) is removed, so the next run starts clean.
$(PY):
	$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV); \
		echo "ERROR: '$(PYTHON) -m venv' made an environment without pip;"; \
		echo "       install the venv module (Debian/Ubuntu: apt-get install python3-venv) and run make again."; \
		exit 1; }

# The stamp is touched only after a successful install, so pip runs again
# only when pyproject.toml or constraints.txt is newer (or the last install failed).
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -c constraints.txt -e '.[dev]'
	touch $@

# Only rendering graphs needs Graphviz's `dot`: install it when we can (root with
# apt-get); otherwise, or when that fails (offline), say how and carry on.
graphviz:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Graphviz 'dot' not found: installing it with apt-get"; \
		export DEBIAN_FRONTEND=noninteractive; \
		( apt-get update -qq && apt-get install -y -qq graphviz >/dev/null ) || \
			echo "NOTE: apt-get could not install graphviz (offline?); rendering graphs needs it."; \
	else \
		echo "NOTE: Graphviz 'dot' not found; rendering graphs needs it."; \
		echo "      Install it with one of: sudo apt-get install graphviz | brew install graphviz |"; \
		echo "      conda install -c conda-forge graphviz | https://graphviz.org/download/"; \
	fi

clean:
	rm -rf $(VENV) build dist src/*.egg-info .hypothesis .mypy_cache .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +
