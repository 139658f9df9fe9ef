import { notFound } from "@/lib/api/errors";
import { route } from "@/lib/api/http";

// Any other path under /environments is answered in the API's error envelope, not an HTML page.
const unknown = route(async () => {
  throw notFound("No such resource: check the path against the API reference.");
});

export { unknown as GET, unknown as POST, unknown as PUT, unknown as PATCH, unknown as DELETE };
