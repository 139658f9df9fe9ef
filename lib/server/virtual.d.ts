declare module "virtual:api-routes" {
  import type { ApiRoute } from "./api-adapter";
  export const apiRoutes: ApiRoute[];
}
