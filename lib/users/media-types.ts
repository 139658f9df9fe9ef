export const IMPORT_MEDIA_TYPE = "application/vnd.pingidentity.user.import+json";
