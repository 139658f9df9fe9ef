ALTER TABLE "users" ADD COLUMN "password_scheme" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "password_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "password_gateway_id" text GENERATED ALWAYS AS (external_password->>'gatewayId') STORED;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "password_user_type_id" text GENERATED ALWAYS AS (external_password->>'userTypeId') STORED;--> statement-breakpoint
CREATE INDEX "audit_events_env_action_created_idx" ON "audit_events" USING btree ("environment_id","action","created_at");--> statement-breakpoint
CREATE INDEX "users_env_password_state_idx" ON "users" USING btree ("environment_id","password_status","password_scheme","password_gateway_id","password_user_type_id","population_id","password_checked_at");--> statement-breakpoint
CREATE INDEX "users_env_unchecked_idx" ON "users" USING btree ("environment_id","id") WHERE "users"."password_checked_at" is null;