# Thin aliases for ./dev, which does the work (make is not on every fresh machine).
.PHONY: demo test setup bench
demo: ; ./dev demo
test: ; ./dev test
setup: ; ./dev setup
bench: ; ./dev bench
