ALTER TABLE "gateway_user_types" ADD COLUMN "search_base_dn" text;--> statement-breakpoint
ALTER TABLE "gateway_user_types" ADD COLUMN "allow_password_changes" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "gateway_user_types" ADD COLUMN "update_user_on_successful_authentication" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "gateway_user_types" ADD COLUMN "new_user_lookup" jsonb;--> statement-breakpoint
ALTER TABLE "gateway_user_types" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "description" text;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "servers" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "bind_dn" text;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "bind_password_ciphertext" text;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "connection_security" text DEFAULT 'None' NOT NULL;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "validate_tls_certificates" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "vendor" text;--> statement-breakpoint
ALTER TABLE "gateways" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;