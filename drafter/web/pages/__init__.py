"""The pages of `drafter serve`, one module each; `register(app, site)` adds its routes."""
