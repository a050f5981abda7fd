# Quick start: `make up` runs the whole stack, `make test` runs every check.
.PHONY: up test install bench

up:
	bash scripts/dev.sh up

test:
	bash scripts/dev.sh test

install:
	bash scripts/dev.sh install

bench:
	.venv/bin/python bench/parser.py
