export const USER_VERIFY_TYPE = "application/vnd.pingidentity.user.verify+json";
export const USER_SEND_VERIFICATION_CODE_TYPE = "application/vnd.pingidentity.user.sendverificationcode+json";
