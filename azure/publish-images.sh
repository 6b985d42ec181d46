#!/usr/bin/env bash
# Builds the silo and API container images with the .NET SDK (no Dockerfile: the container settings are in
# silo/Billing.Silo.csproj and api/Billing.Api.csproj) and pushes them to a registry. Needs a machine that reaches
# the registry and mcr.microsoft.com (the chiseled base images); the build machines of this repository do not.
#
#   az acr login --name <registry>                  # or docker login; the SDK uses the same credential store
#   azure/publish-images.sh <registry>.azurecr.io [tag]
#
# The tag defaults to the current commit; deploy it with BILLING_IMAGE_TAG=<tag> (azure/environments/*.bicepparam).
set -euo pipefail
cd "$(dirname "$0")/.."

registry="${1:?usage: azure/publish-images.sh <registry host> [tag]}"
tag="${2:-$(git rev-parse --short=12 HEAD)}"

if [[ -z "${2:-}" && -n "$(git status --porcelain --untracked-files=no)" ]]; then
  echo "The working tree has uncommitted changes: commit them, or name the tag explicitly." >&2
  exit 1
fi

# The silo image carries the invoice fonts (Payments:InvoiceFontDirectory=/app/fonts): without them the silo refuses
# to start. They come from Debian's fonts-dejavu-core on this machine.
for font in DejaVuSans.ttf DejaVuSans-Bold.ttf; do
  if [[ ! -f "/usr/share/fonts/truetype/dejavu/$font" ]]; then
    echo "Missing /usr/share/fonts/truetype/dejavu/$font: apt-get install -y fonts-dejavu-core" >&2
    exit 1
  fi
done

for project in silo/Billing.Silo.csproj api/Billing.Api.csproj; do
  dotnet publish "$project" -c Release -nologo -v quiet \
    -t:PublishContainer -p ContainerRegistry="$registry" -p ContainerImageTag="$tag"
  echo "pushed $registry/$(dotnet msbuild "$project" -nologo -getProperty:ContainerRepository):$tag" >&2
done

echo "$tag"
