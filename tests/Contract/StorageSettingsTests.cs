using Azure.Data.Tables;
using Billing.Hosting;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Tests.Contract;

/// <summary>
/// One storage account, one <see cref="TableServiceClient"/> per process (SPEC section 2): by connection string
/// locally, by table endpoint and DefaultAzureCredential in Azure; exactly one of the two, checked at start-up.
/// </summary>
public sealed class StorageSettingsTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData(null, null, "Storage:ConnectionString or Storage:TableServiceUri is required")]
    [InlineData("UseDevelopmentStorage=true", "https://acct.table.core.windows.net", "Storage:ConnectionString and Storage:TableServiceUri are both set")]
    [InlineData(null, "acct.table.core.windows.net", "Storage:TableServiceUri 'acct.table.core.windows.net' is not an https URI")]
    [InlineData(null, "http://acct.table.core.windows.net", "Storage:TableServiceUri 'http://acct.table.core.windows.net' is not an https URI")]
    [InlineData("not a connection string", null, "Storage:ConnectionString is not a connection string")]
    public void Unusable_storage_settings_stop_the_process_naming_the_setting(string? connectionString, string? uri, string expected)
    {
        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddBillingStorage(Config(connectionString, uri)));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_string_gives_one_shared_client_that_reaches_the_account()
    {
        using var services = new ServiceCollection().AddBillingStorage(Config(azurite.ConnectionString, null)).BuildServiceProvider();

        var client = services.GetRequiredService<TableServiceClient>();
        var table = AzuriteFixture.UniqueTableName("oneclient");
        await client.CreateTableIfNotExistsAsync(table, TestContext.Current.CancellationToken);

        Assert.Same(client, services.GetRequiredService<TableServiceClient>());
        Assert.Equal("devstoreaccount1", client.AccountName);
        Assert.Single(azurite.ServiceClient.Query(t => t.Name == table, cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public void A_table_endpoint_gives_a_client_of_that_endpoint_signed_in_by_the_default_credential()
    {
        using var services = new ServiceCollection().AddBillingStorage(Config(null, "https://acct.table.core.windows.net")).BuildServiceProvider();

        var client = services.GetRequiredService<TableServiceClient>();

        Assert.Equal(new Uri("https://acct.table.core.windows.net"), client.Uri);
        Assert.Equal("acct", client.AccountName);
    }

    [Fact]
    public void Registering_storage_twice_in_one_process_keeps_one_client()
    {
        var config = Config(azurite.ConnectionString, null);
        using var services = new ServiceCollection().AddBillingStorage(config).AddBillingStorage(config).BuildServiceProvider();

        Assert.Single(services.GetServices<TableServiceClient>());
    }

    private static IConfiguration Config(string? connectionString, string? uri) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = connectionString,
            ["Storage:TableServiceUri"] = uri,
        }).Build();
}
