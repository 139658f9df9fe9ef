ALTER TABLE "user_import_jobs" ADD COLUMN "source" jsonb;--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "passwords_copied_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "linked_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "failure" jsonb;