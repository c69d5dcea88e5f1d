"""`make serve`: a model version over HTTP, answering as `make predict` does (serve.app)."""
