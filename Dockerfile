# paperboy: one image for every stage (`paperboy worker <stage>`) and the web service.
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
ENV NODE_ENV=production DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["node", "bin/paperboy.js"]
CMD ["worker", "all"]
