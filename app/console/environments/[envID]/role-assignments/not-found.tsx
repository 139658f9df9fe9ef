import { NotFoundBody } from "@/components/console/not-found-body";

export default function ResourceNotFound() {
  return <NotFoundBody what="Role assignment" />;
}
