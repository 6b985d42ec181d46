using System.Text.Json.Nodes;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Deployment;

/// <summary>
/// The Bicep CLI from its NuGet package (restored by azure/Billing.Azure.csproj, so CI needs neither the Azure CLI nor
/// network beyond the package feed) and azure/main.bicep compiled once to its ARM template.
/// </summary>
public sealed class BicepFixture : IAsyncLifetime
{
    public static string AzureFolder { get; } = Path.Combine(RepositoryRoot.Path, "azure");

    /// <summary>Values for the parameter files' <c>readEnvironmentVariable</c> calls (installation-specific, not secret).</summary>
    public static IReadOnlyDictionary<string, string> ParameterEnvironment { get; } = new Dictionary<string, string>
    {
        ["BILLING_REGISTRY"] = "billingregistry",
        ["BILLING_IMAGE_TAG"] = "0123abc",
        ["BILLING_TOKEN_AUTHORITY"] = "https://login.example.com/tenant/v2.0",
        ["BILLING_SMTP_APP_ID"] = "11111111-1111-1111-1111-111111111111",
        ["BILLING_SMTP_SP_ID"] = "22222222-2222-2222-2222-222222222222",
        ["BILLING_OPERATOR_EMAIL"] = "operators@example.com",
        ["BILLING_PAYMENT_GATEWAY"] = "Gateway",
        ["BILLING_PORTAL_URL"] = "https://portal.example.com",
    };

    public string BicepPath { get; private set; } = "";

    /// <summary>azure/main.bicep compiled by <c>bicep build</c>.</summary>
    public ToolResult Build { get; private set; } = null!;

    public JsonObject Template { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var project = Path.Combine(AzureFolder, "Billing.Azure.csproj");
        var restore = await Tool.Run(Tool.Dotnet, ["restore", project, "-nologo", "-v", "quiet"], RepositoryRoot.Path);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        BicepPath = (await Tool.MsBuildProperties(project, ["BicepPath"]))["BicepPath"];
        Assert.True(File.Exists(BicepPath), $"No Bicep CLI at '{BicepPath}'.");

        Build = await Bicep("build", "main.bicep", "--stdout");
        Template = Build.ExitCode == 0 ? JsonNode.Parse(Build.Output)!.AsObject() : new JsonObject();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public Task<ToolResult> Bicep(params string[] arguments) => BicepIn(AzureFolder, arguments);

    public Task<ToolResult> BicepIn(string workingDirectory, params string[] arguments) =>
        Tool.Run(BicepPath, arguments, workingDirectory, ParameterEnvironment);
}

[CollectionDefinition(Name)]
public sealed class BicepCollection : ICollectionFixture<BicepFixture>
{
    public const string Name = "Bicep";
}
