# paperboy: one image for every stage (`paperboy worker <stage>`) and the web service.
# Node.js 24 LTS (22.16+ also works); SQLite is node:sqlite, so no compiler is needed
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
ENV NODE_ENV=production DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["node", "bin/paperboy.js"]
CMD ["worker", "all"]
