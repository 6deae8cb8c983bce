-- CreateEnum
CREATE TYPE "ProviderStatus" AS ENUM ('active', 'disabled');

-- CreateEnum
CREATE TYPE "ProviderAuthKind" AS ENUM ('none', 'api_key', 'bearer', 'oauth2_client_credentials');

-- CreateEnum
CREATE TYPE "DatasetStatus" AS ENUM ('active', 'disabled');

-- CreateEnum
CREATE TYPE "ClientStatus" AS ENUM ('active', 'suspended');

-- CreateEnum
CREATE TYPE "ClientAuthMethod" AS ENUM ('client_secret_basic', 'client_secret_post', 'private_key_jwt');

-- CreateEnum
CREATE TYPE "HabilitationStatus" AS ENUM ('active', 'revoked');

-- CreateEnum
CREATE TYPE "ConsentRequestStatus" AS ENUM ('pending', 'approved', 'denied', 'expired');

-- CreateEnum
CREATE TYPE "FetchMode" AS ENUM ('once', 'periodic');

-- CreateEnum
CREATE TYPE "ConsentStatus" AS ENUM ('active', 'revoked', 'expired');

-- CreateEnum
CREATE TYPE "SigningKeyStatus" AS ENUM ('active', 'retiring', 'retired');

-- CreateTable
CREATE TABLE "provider" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "base_url" TEXT NOT NULL,
    "auth_kind" "ProviderAuthKind" NOT NULL DEFAULT 'none',
    "auth_config" JSONB NOT NULL DEFAULT '{}',
    "secret_ciphertext" TEXT,
    "timeout_ms" INTEGER NOT NULL DEFAULT 5000,
    "max_concurrency" INTEGER NOT NULL DEFAULT 32,
    "status" "ProviderStatus" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "provider_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dataset" (
    "id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "identity_params" JSONB NOT NULL,
    "response_schema" JSONB NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "fields" JSONB NOT NULL DEFAULT '{}',
    "status" "DatasetStatus" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "client" (
    "id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "siret" TEXT NOT NULL,
    "contact_email" TEXT NOT NULL,
    "redirect_uris" TEXT[],
    "auth_method" "ClientAuthMethod" NOT NULL,
    "secret_hash" TEXT,
    "jwks" JSONB,
    "jwks_uri" TEXT,
    "status" "ClientStatus" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "client_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "habilitation" (
    "id" UUID NOT NULL,
    "client_id" UUID NOT NULL,
    "datasets" TEXT[],
    "purpose" TEXT NOT NULL,
    "legal_basis" TEXT NOT NULL,
    "legal_basis_url" TEXT,
    "max_duration_days" INTEGER NOT NULL,
    "allow_periodic" BOOLEAN NOT NULL DEFAULT false,
    "min_fetch_interval_seconds" INTEGER NOT NULL DEFAULT 0,
    "valid_from" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "valid_to" TIMESTAMP(3),
    "status" "HabilitationStatus" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "habilitation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "citizen" (
    "id" UUID NOT NULL,
    "sub" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_login_at" TIMESTAMP(3),

    CONSTRAINT "citizen_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consent_request" (
    "id" UUID NOT NULL,
    "client_id" UUID NOT NULL,
    "habilitation_id" UUID NOT NULL,
    "datasets" TEXT[],
    "purpose" TEXT NOT NULL,
    "duration_days" INTEGER NOT NULL,
    "fetch_mode" "FetchMode" NOT NULL DEFAULT 'once',
    "redirect_uri" TEXT NOT NULL,
    "state" TEXT,
    "notification_url" TEXT,
    "idempotency_key" TEXT,
    "body_digest" TEXT,
    "status" "ConsentRequestStatus" NOT NULL DEFAULT 'pending',
    "citizen_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "decided_at" TIMESTAMP(3),

    CONSTRAINT "consent_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consent" (
    "id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "citizen_id" UUID NOT NULL,
    "client_id" UUID NOT NULL,
    "habilitation_id" UUID NOT NULL,
    "datasets" TEXT[],
    "purpose" TEXT NOT NULL,
    "legal_basis" TEXT NOT NULL,
    "fetch_mode" "FetchMode" NOT NULL,
    "fetch_count" INTEGER NOT NULL DEFAULT 0,
    "last_fetches" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "valid_from" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "status" "ConsentStatus" NOT NULL DEFAULT 'active',
    "revoked_at" TIMESTAMP(3),
    "receipt" TEXT NOT NULL,
    "identity_ciphertext" TEXT,
    "wrapped_key" TEXT,

    CONSTRAINT "consent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "seq" BIGSERIAL NOT NULL,
    "id" UUID NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "client_id" TEXT,
    "citizen_id" TEXT,
    "consent_id" TEXT,
    "dataset_id" TEXT,
    "outcome" TEXT NOT NULL,
    "http_status" INTEGER,
    "duration_ms" INTEGER,
    "request_id" TEXT,
    "payload_digest" TEXT,
    "details" JSONB,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "signing_key" (
    "kid" TEXT NOT NULL,
    "alg" TEXT NOT NULL DEFAULT 'ES256',
    "public_jwk" JSONB NOT NULL,
    "private_jwk_ciphertext" TEXT NOT NULL,
    "status" "SigningKeyStatus" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activated_at" TIMESTAMP(3),
    "retired_at" TIMESTAMP(3),

    CONSTRAINT "signing_key_pkey" PRIMARY KEY ("kid")
);

-- CreateTable
CREATE TABLE "used_assertion" (
    "jti" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "used_assertion_pkey" PRIMARY KEY ("jti")
);

-- CreateTable
CREATE TABLE "session" (
    "sid" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "session_pkey" PRIMARY KEY ("sid")
);

-- CreateIndex
CREATE INDEX "dataset_provider_id_idx" ON "dataset"("provider_id");

-- CreateIndex
CREATE UNIQUE INDEX "client_client_id_key" ON "client"("client_id");

-- CreateIndex
CREATE INDEX "habilitation_client_id_status_idx" ON "habilitation"("client_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "citizen_sub_key" ON "citizen"("sub");

-- CreateIndex
CREATE INDEX "consent_request_status_expires_at_idx" ON "consent_request"("status", "expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "consent_request_client_id_idempotency_key_key" ON "consent_request"("client_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "consent_request_id_key" ON "consent"("request_id");

-- CreateIndex
CREATE INDEX "consent_citizen_id_idx" ON "consent"("citizen_id");

-- CreateIndex
CREATE INDEX "consent_client_id_idx" ON "consent"("client_id");

-- CreateIndex
CREATE INDEX "consent_status_expires_at_idx" ON "consent"("status", "expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_id_key" ON "audit_event"("id");

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_hash_key" ON "audit_event"("hash");

-- CreateIndex
CREATE INDEX "audit_event_citizen_id_occurred_at_idx" ON "audit_event"("citizen_id", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_event_consent_id_idx" ON "audit_event"("consent_id");

-- CreateIndex
CREATE INDEX "audit_event_kind_occurred_at_idx" ON "audit_event"("kind", "occurred_at");

-- CreateIndex
CREATE INDEX "used_assertion_expires_at_idx" ON "used_assertion"("expires_at");

-- CreateIndex
CREATE INDEX "session_expires_at_idx" ON "session"("expires_at");

-- AddForeignKey
ALTER TABLE "dataset" ADD CONSTRAINT "dataset_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "provider"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "habilitation" ADD CONSTRAINT "habilitation_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "client"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent_request" ADD CONSTRAINT "consent_request_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "client"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent_request" ADD CONSTRAINT "consent_request_habilitation_id_fkey" FOREIGN KEY ("habilitation_id") REFERENCES "habilitation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent_request" ADD CONSTRAINT "consent_request_citizen_id_fkey" FOREIGN KEY ("citizen_id") REFERENCES "citizen"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent" ADD CONSTRAINT "consent_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "consent_request"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent" ADD CONSTRAINT "consent_citizen_id_fkey" FOREIGN KEY ("citizen_id") REFERENCES "citizen"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent" ADD CONSTRAINT "consent_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "client"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent" ADD CONSTRAINT "consent_habilitation_id_fkey" FOREIGN KEY ("habilitation_id") REFERENCES "habilitation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
