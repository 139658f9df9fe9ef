DROP TABLE "sign_in_throttle" CASCADE;--> statement-breakpoint
DROP TABLE "verification_attempts" CASCADE;