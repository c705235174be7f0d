"""mpsandbox: run mini-program bundles in a QuickJS sandbox against a mock open-capability API, and review them."""

__version__ = "0.1.0"
