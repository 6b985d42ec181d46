using Azure.Data.Tables;

namespace Billing.Tests.Infrastructure;

public sealed class AzuriteSmokeTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Azurite_answers_on_its_own_loopback_port()
    {
        var table = azurite.ServiceClient.GetTableClient(AzuriteFixture.UniqueTableName("smoke"));
        await table.CreateIfNotExistsAsync(TestContext.Current.CancellationToken);
        await table.AddEntityAsync(new TableEntity("p", "r") { ["Value"] = 42 }, TestContext.Current.CancellationToken);

        var read = await table.GetEntityAsync<TableEntity>("p", "r", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(42, read.Value.GetInt32("Value"));
        Assert.Contains("127.0.0.1", azurite.ConnectionString, StringComparison.Ordinal);
    }
}
