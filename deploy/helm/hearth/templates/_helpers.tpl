{{/* The chart's names and labels. */}}
{{- define "hearth.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hearth.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "hearth.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "hearth.secretName" -}}
{{- default (printf "%s-secrets" (include "hearth.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{/* The settings every Hearth container receives. */}}
{{- define "hearth.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "hearth.fullname" . }}-settings
  - secretRef:
      name: {{ include "hearth.secretName" . }}
{{- end -}}

{{- define "hearth.image" -}}
image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- end -}}

{{/* The container's security: the image's unprivileged user, nothing more. */}}
{{- define "hearth.securityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  allowPrivilegeEscalation: false
  capabilities:
    drop: ["ALL"]
{{- end -}}
