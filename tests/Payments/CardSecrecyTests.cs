using Azure.Data.Tables;
using Billing.Errors;
using Billing.Notifications;
using Billing.Payments;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Payments;

/// <summary>M1, SPEC section 2: card numbers and CVVs never reach storage or logs, whatever the card's outcome.</summary>
public sealed class CardSecrecyTests(PaymentsFixture fx) : IClassFixture<PaymentsFixture>
{
    private const string Cvv = "987";

    [Fact]
    public async Task After_every_test_card_is_used_no_table_entity_and_no_log_line_holds_a_card_number_or_its_CVV()
    {
        foreach (var number in SandboxGateway.TestCards.Keys.Where(n => SandboxGateway.TestCards[n] != SandboxGateway.Behaviour.SlowAnswer))
        {
            var (_, app, _) = await fx.NewAppAsync();
            var method = await fx.Methods(app).AddPaymentMethod(new AddPaymentMethod(PaymentMethodKind.Card, new NewCard(number, "Ada Lovelace", 12, 2030, Cvv), null, "user-1"));
            await fx.BuyAsync(app, method.Id, 120m);
            // A refused card goes through the error path (and its logs) too.
            await Assert.ThrowsAsync<BillingException>(() => fx.Methods(app).AddPaymentMethod(new AddPaymentMethod(PaymentMethodKind.Card, new NewCard(number, "", 12, 2030, Cvv), null, "user-1")));
        }

        var secrets = SandboxGateway.TestCards.Keys.SelectMany(n => new[] { n, $"{n[..4]} {n[4..8]} {n[8..12]} {n[12..]}" }).ToList();
        var found = new List<string>();
        await foreach (var table in fx.Azurite.ServiceClient.QueryAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            await foreach (var entity in fx.Azurite.ServiceClient.GetTableClient(table.Name).QueryAsync<TableEntity>(cancellationToken: TestContext.Current.CancellationToken))
            {
                foreach (var (name, value) in entity)
                {
                    var text = value switch
                    {
                        byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
                        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
                    };
                    if (secrets.Any(s => text.Contains(s, StringComparison.Ordinal)) || (name != "odata.etag" && text.Contains($"\"{Cvv}\"", StringComparison.Ordinal)))
                        found.Add($"{table.Name}/{entity.PartitionKey}/{entity.RowKey}/{name}");
                }
            }
        }

        found.AddRange(fx.Logs.Lines.Where(l => secrets.Any(s => l.Contains(s, StringComparison.Ordinal))));
        Assert.NotEmpty(fx.Logs.Lines); // the capture works: the silo did log
        Assert.Empty(found);
    }
}
