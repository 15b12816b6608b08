"""`drafter serve`: the web app (issue 13). `drafter.web.app.create_app` builds it."""
