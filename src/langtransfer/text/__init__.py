"""Script-aware text helpers: Unicode normalisation (`normalize`) and word units (`words`)."""
