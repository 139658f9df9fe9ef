CREATE TABLE "user_import_changes" (
	"job_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"before" jsonb,
	"after_version" text,
	"row_number" integer,
	"undone_by" uuid,
	CONSTRAINT "user_import_changes_job_id_user_id_pk" PRIMARY KEY("job_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "source" jsonb;--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "kind" text DEFAULT 'import' NOT NULL;--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "undoes_job_id" uuid;--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "deleted_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "restored_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "passwords_copied_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "linked_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "user_import_jobs" ADD COLUMN "failure" jsonb;--> statement-breakpoint
ALTER TABLE "user_import_changes" ADD CONSTRAINT "user_import_changes_job_id_user_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."user_import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "user_import_jobs_undoes_idx" ON "user_import_jobs" USING btree ("undoes_job_id");--> statement-breakpoint
CREATE INDEX "users_env_username_pattern_idx" ON "users" USING btree ("environment_id",lower("username") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "users_env_email_pattern_idx" ON "users" USING btree ("environment_id",lower("email") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "users_env_created_idx" ON "users" USING btree ("environment_id","created_at");--> statement-breakpoint
CREATE INDEX "users_env_external_id_idx" ON "users" USING btree ("environment_id",lower("profile" ->> 'externalId'));