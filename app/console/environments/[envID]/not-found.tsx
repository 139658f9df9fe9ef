import { NotFoundBody } from "@/components/console/not-found-body";

export default function EnvironmentNotFound() {
  return <NotFoundBody what="Environment" />;
}
