{{/* The chart's name. */}}
{{- define "sparkplane.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: every object of the release is named after it. */}}
{{- define "sparkplane.fullname" -}}
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

{{/* Labels of every object. */}}
{{- define "sparkplane.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sparkplane.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sparkplane
{{- end }}

{{/* Labels that select the release's pods. */}}
{{- define "sparkplane.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sparkplane.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sparkplane.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sparkplane.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: name the existing service account the servers run as (serviceAccount.create is false)" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sparkplane.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding the access file, if any. */}}
{{- define "sparkplane.accessSecret" -}}
{{- if .Values.auth.existingSecret }}
{{- .Values.auth.existingSecret }}
{{- else if .Values.auth.access }}
{{- printf "%s-access" (include "sparkplane.fullname" .) }}
{{- end }}
{{- end }}

{{- define "sparkplane.claimName" -}}
{{- default (printf "%s-data" (include "sparkplane.fullname" .)) .Values.store.sqlite.persistence.existingClaim }}
{{- end }}

{{- define "sparkplane.scheme" -}}
{{- if .Values.tls.secretName }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{/*
Refuses values that cannot work, naming the value and what to do. Rendered
by the Deployment, so `helm template` and `helm install` fail alike.
*/}}
{{- define "sparkplane.validate" -}}
{{- $store := .Values.store.type }}
{{- if not (has $store (list "sqlite" "postgres")) }}
{{- fail (printf "store.type %q: want sqlite (one server, a PersistentVolumeClaim) or postgres (several servers)" $store) }}
{{- end }}
{{- if and (eq $store "sqlite") (ne (int .Values.replicaCount) 1) }}
{{- fail (printf "replicaCount %d with store.type=sqlite: the SQLite store is one file that one server opens at a time; set replicaCount=1, or store.type=postgres for several servers" (int .Values.replicaCount)) }}
{{- end }}
{{- if lt (int .Values.replicaCount) 1 }}
{{- fail "replicaCount: want at least 1" }}
{{- end }}
{{- if eq $store "postgres" }}
{{- $url := required "store.postgres.url: required with store.type=postgres (postgres://USER@HOST:5432/DATABASE?sslmode=require)" .Values.store.postgres.url }}
{{- if not (regexMatch "^postgres(ql)?://" $url) }}
{{- fail "store.postgres.url: want a postgres:// (or postgresql://) URL" }}
{{- end }}
{{- if regexMatch "^postgres(ql)?://[^/@]*:[^/@]*@" $url }}
{{- fail "store.postgres.url: holds a password, which would be kept in a ConfigMap; put it in a Secret and name it in store.postgres.passwordSecret" }}
{{- end }}
{{- end }}
{{- if not (or .Values.auth.existingSecret .Values.auth.access .Values.auth.insecureNoAuth) }}
{{- fail "auth: callers must be authenticated: set auth.existingSecret (a Secret holding the access file) or auth.access (the access file's content); auth.insecureNoAuth=true serves every caller unauthenticated (throwaway set-ups only)" }}
{{- end }}
{{- if and .Values.auth.existingSecret .Values.auth.access }}
{{- fail "auth: set auth.existingSecret or auth.access, not both" }}
{{- end }}
{{- if not .Values.clusters }}
{{- fail "clusters: register at least one Kubernetes cluster (e.g. {id: in-cluster, inCluster: true}); the image has no Spark for local runs" }}
{{- end }}
{{- range $i, $c := .Values.clusters }}
{{- if not $c.id }}
{{- fail (printf "clusters[%d].id: required (what containerProvider.id names)" $i) }}
{{- end }}
{{- end }}
{{- if .Values.rbac.create }}
{{- if not (has .Values.rbac.scope (list "namespaced" "cluster")) }}
{{- fail (printf "rbac.scope %q: want namespaced (rbac.namespaces) or cluster" .Values.rbac.scope) }}
{{- end }}
{{- if and (eq .Values.rbac.scope "namespaced") (not .Values.rbac.namespaces) }}
{{- fail "rbac.namespaces: list the namespaces virtual clusters will use (sparkplane gets a Role in each), or set rbac.scope=cluster" }}
{{- end }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.bearerTokenSecret.name) (not .Values.auth.insecureNoAuth) }}
{{- fail "metrics.serviceMonitor.enabled: Prometheus cannot sign requests; set metrics.bearerTokenSecret.name (a Secret holding the scrape token)" }}
{{- end }}
{{- end }}

{{/*
The configuration file: the user's config, under what the chart sets.
*/}}
{{- define "sparkplane.config" -}}
{{- $security := dict }}
{{- if include "sparkplane.accessSecret" . }}
{{- $_ := set $security "access" (printf "/etc/sparkplane/access/%s" .Values.auth.secretKey) }}
{{- end }}
{{- if .Values.auth.insecureNoAuth }}
{{- $_ := set $security "insecureNoAuth" true }}
{{- end }}
{{- if .Values.tls.secretName }}
{{- $_ := set $security "tlsCert" "/etc/sparkplane/tls/tls.crt" }}
{{- $_ := set $security "tlsKey" "/etc/sparkplane/tls/tls.key" }}
{{- end }}
{{- $metrics := dict "enabled" .Values.metrics.enabled }}
{{- if .Values.metrics.bearerTokenSecret.name }}
{{- $_ := set $metrics "bearerTokenFile" (printf "/etc/sparkplane/metrics/%s" .Values.metrics.bearerTokenSecret.key) }}
{{- end }}
{{- $c := dict "dataDir" "/var/lib/sparkplane" "region" .Values.aws.region "accountId" (toString .Values.aws.accountId) "partition" .Values.aws.partition "clusters" .Values.clusters "security" $security "metrics" $metrics }}
{{- if eq .Values.store.type "postgres" }}
{{- $_ := set $c "store" .Values.store.postgres.url }}
{{- end }}
{{- if .Values.pricing }}
{{- $_ := set $c "pricing" "/etc/sparkplane/config/pricing.yaml" }}
{{- end }}
{{- toYaml (merge $c (deepCopy .Values.config)) }}
{{- end }}

{{/*
What sparkplane needs in each namespace a virtual cluster uses: the rules of
deploy/rbac/namespace-role.yaml (test/chart checks they are the same).
*/}}
{{- define "sparkplane.namespaceRules" -}}
- apiGroups: [""]
  resources: [namespaces]
  verbs: [get]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [create, get, list, watch, delete]
- apiGroups: [""]
  resources: [pods, configmaps, services, persistentvolumeclaims]
  verbs: [create, get, list, watch, delete, deletecollection, patch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [create, patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [use]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles]
  verbs: [create, patch]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [rolebindings]
  verbs: [create]
# Admit: what the namespace's ResourceQuotas leave before a run is submitted.
- apiGroups: [""]
  resources: [resourcequotas]
  verbs: [list]
{{- end }}
