declare module "virtual:api-routes" {
  import type { DispatchTable } from "./dispatch";
  export const apiRoutes: DispatchTable;
}
