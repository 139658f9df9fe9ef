// The check worker where no production bundle is used (Vitest, `next dev`): tsx compiles the
// TypeScript entry. Without a "type" in package.json tsx loads it as CommonJS, whose default
// export then arrives one level down.
import { tsImport } from "tsx/esm/api";

const entry = await tsImport("./check-worker.ts", import.meta.url);
const check = typeof entry.default === "function" ? entry.default : entry.default.default;

export default check;
