ALTER TABLE "user_import_changes" DROP CONSTRAINT "user_import_changes_job_id_user_import_jobs_id_fk";
--> statement-breakpoint
ALTER TABLE "user_import_keys" DROP CONSTRAINT "user_import_keys_job_id_user_import_jobs_id_fk";
