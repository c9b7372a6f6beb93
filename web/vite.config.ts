import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build goes inside the Python package (src/cairn/server/dashboard_dist/), which
// src/cairn/server/dashboard.py serves at /.
// `npm run dev` proxies the API to a `cairn ui` on port 5000.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../src/cairn/server/dashboard_dist",
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:5000" },
  },
});
