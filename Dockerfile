# Image for every service: `quantumlayer serve SERVICE` (see infra/k8s/).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY common common
COPY gateway gateway
COPY subgraphs subgraphs
COPY quantumlayer quantumlayer
COPY schema schema
RUN pip install --no-cache-dir -e . && useradd --uid 10001 --no-create-home app
USER 10001
ENV QL_DATA_DIR=/tmp/quantumlayer
ENTRYPOINT ["quantumlayer"]
