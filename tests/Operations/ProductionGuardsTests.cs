using Billing.Hosting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace Billing.Tests.Operations;

/// <summary>
/// The production start-up guards' rules (ProductionGuards), without a host: which settings a deployed silo or API
/// refuses, and that each refusal names the setting to change.
/// </summary>
public sealed class ProductionGuardsTests
{
    private const string Azurite = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    [Theory]
    [InlineData("Development", false)]
    [InlineData("Testing", false)]
    [InlineData("Production", true)]
    [InlineData("Staging", true)]
    [InlineData("dev", true)]
    public void The_guards_apply_in_every_environment_but_Development_and_the_tests_own(string environment, bool applies) =>
        Assert.Equal(applies, ProductionGuards.Apply(new HostEnvironment(environment)));

    [Theory]
    [InlineData("UseDevelopmentStorage=true", null)]
    [InlineData(Azurite, null)]
    [InlineData(null, "http://127.0.0.1:10002/devstoreaccount1")]
    public void Development_storage_is_refused_naming_the_storage_setting(string? connectionString, string? tableServiceUri)
    {
        var problem = ProductionGuards.DevelopmentStorage(connectionString, tableServiceUri);

        Assert.NotNull(problem);
        Assert.Contains(connectionString is null ? "Storage:TableServiceUri" : "Storage:ConnectionString", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "https://billingprod.table.core.windows.net")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=billingprod;EndpointSuffix=core.windows.net", null)]
    public void A_real_storage_account_passes(string? connectionString, string? tableServiceUri) =>
        Assert.Null(ProductionGuards.DevelopmentStorage(connectionString, tableServiceUri));

    [Fact]
    public void The_sandbox_gateway_is_refused_unless_the_deployment_allows_it()
    {
        var refused = ProductionGuards.SandboxGateway("Sandbox", "Sandbox", allowSandbox: false);

        Assert.NotNull(refused);
        Assert.Contains("Payments:AllowSandbox", refused, StringComparison.Ordinal);
        Assert.Contains("Payments:Gateway", refused, StringComparison.Ordinal);
        Assert.Null(ProductionGuards.SandboxGateway("Sandbox", "Sandbox", allowSandbox: true));
        Assert.Null(ProductionGuards.SandboxGateway("Adyen", "Sandbox", allowSandbox: false));
    }

    [Fact]
    public void The_development_token_issuer_is_refused_wherever_it_is_listed()
    {
        Assert.Contains("Authentication:Schemes:Bearer:ValidIssuer", ProductionGuards.DevelopmentIssuer(["dotnet-user-jwts"]), StringComparison.Ordinal);
        Assert.NotNull(ProductionGuards.DevelopmentIssuer(["https://login.example.com/v2.0", " dotnet-user-jwts "]));
        Assert.Null(ProductionGuards.DevelopmentIssuer(["https://login.microsoftonline.com/tenant/v2.0", null]));
        Assert.Null(ProductionGuards.DevelopmentIssuer([]));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_missing_webhook_secret_is_refused_naming_it(string? secret) =>
        Assert.Contains("Payments:Webhook:Secret", ProductionGuards.MissingWebhookSecret(secret), StringComparison.Ordinal);

    [Fact]
    public void A_webhook_secret_passes() =>
        Assert.Null(ProductionGuards.MissingWebhookSecret("a-secret-of-sixteen-chars"));

    [Fact]
    public void Every_problem_is_named_in_one_refusal_and_none_means_start()
    {
        var production = new HostEnvironment("Production");
        ProductionGuards.ThrowIfAny("silo", production, [null, null]);

        var refusal = Assert.Throws<InvalidOperationException>(() => ProductionGuards.ThrowIfAny("silo", production,
            [ProductionGuards.DevelopmentStorage("UseDevelopmentStorage=true", null), null, ProductionGuards.SandboxGateway("Sandbox", "Sandbox", false)]));

        Assert.Contains("silo refuses to start in the 'Production' environment", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:ConnectionString", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("Payments:AllowSandbox", refusal.Message, StringComparison.Ordinal);
    }

    private sealed class HostEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "billing";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
