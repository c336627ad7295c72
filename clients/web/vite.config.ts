import { defineConfig } from "vite";

// `npm run dev` proxies grpc-web to a speckd on 127.0.0.1:8080; the built
// files (dist/) are served by speckd itself (--web_root). The tutorial's
// network comes from examples/, outside this package: dev serves it too.
export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: {
    proxy: { "^/speckd\\.v1\\.": "http://127.0.0.1:8080" },
    fs: { allow: [".", "../../examples/tutorial"] },
  },
});
