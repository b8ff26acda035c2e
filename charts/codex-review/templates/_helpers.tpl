{{/* Chart name, shortened to the 63 characters Kubernetes names allow. */}}
{{- define "codex-review.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's resources. */}}
{{- define "codex-review.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "codex-review.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "codex-review.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the pods; they never change across upgrades. */}}
{{- define "codex-review.selectorLabels" -}}
app.kubernetes.io/name: {{ include "codex-review.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "codex-review.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "codex-review.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding keys and tokens: the user's, or the chart's. */}}
{{- define "codex-review.secretName" -}}
{{- default (include "codex-review.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "codex-review.pvcName" -}}
{{- default (printf "%s-data" (include "codex-review.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

{{/* Whether the pods get the App's private key file. */}}
{{- define "codex-review.hasPrivateKey" -}}
{{- if or .Values.secrets.existingSecret .Values.secrets.githubPrivateKey }}true{{ end }}
{{- end }}

{{/*
Refuses values that would deploy something broken. SQLite is one file on
one pod's volume: two pods would each have their own queue (or corrupt a
shared one), so more than one replica needs Postgres.
*/}}
{{- define "codex-review.validate" -}}
{{- $sqlite := eq .Values.database.type "sqlite" }}
{{- if and $sqlite (gt (int .Values.replicaCount) 1) }}
{{- fail (printf "replicaCount is %d but database.type is sqlite: SQLite serves one replica only; set database.type=postgres and secrets.databaseUrl (or CODEX_DATABASE_URL in secrets.existingSecret)" (int .Values.replicaCount)) }}
{{- end }}
{{- if and $sqlite .Values.autoscaling.enabled }}
{{- fail "autoscaling.enabled needs database.type=postgres: SQLite serves one replica only" }}
{{- end }}
{{- if and (not $sqlite) (not .Values.secrets.existingSecret) (not .Values.secrets.databaseUrl) }}
{{- fail "database.type is postgres but secrets.databaseUrl is empty: set it to a postgres:// URL, or put CODEX_DATABASE_URL in secrets.existingSecret" }}
{{- end }}
{{- if and (not .Values.secrets.existingSecret) .Values.secrets.databaseUrl (not (regexMatch "^postgres(ql)?://" (lower .Values.secrets.databaseUrl))) }}
{{- fail "secrets.databaseUrl must be a postgres:// or postgresql:// URL (SQLite is configured with database.type=sqlite)" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas is larger than autoscaling.maxReplicas" }}
{{- end }}
{{- end }}
