using System.Collections.Concurrent;
using Azure.Data.Tables;
using Billing.Apps;
using Billing.Ledgers;
using Billing.Notifications;
using Billing.Payments;
using Billing.Tests.Infrastructure;
using Billing.Wallets;
using Billing.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Billing.Tests.Payments;

/// <summary>A cluster on Azurite with a fake billing clock, recorded billing events and captured logs, for money-in tests.</summary>
public class PaymentsFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    public const string Otp = "123456";
    public const string GoodCard = "4242 4242 4242 4242";

    protected virtual short Silos => 1;

    /// <summary>Silo settings beyond the defaults (a subclass sets them).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));

    public RecordedBillingEvents Events { get; } = new();

    public CapturedLogs Logs { get; } = new();

    public AzuriteFixture Azurite => azurite;

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public TableClient Ledgers => azurite.ServiceClient.GetTableClient(LedgerTable.TableName);

    public TableClient SandboxCharges => azurite.ServiceClient.GetTableClient("SandboxCharges");

    public async ValueTask InitializeAsync() =>
        Cluster = await BillingTestCluster.StartAsync(azurite, Clock, Silos, Settings, Events, Logs);

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new Standard workspace and one app in it, owned by the workspace owner.</summary>
    public async Task<(string WorkspaceId, string AppId, string OwnerId)> NewAppAsync()
    {
        var workspaceId = "ws_" + Guid.NewGuid().ToString("N");
        var appId = "app_" + Guid.NewGuid().ToString("N");
        var owner = "owner-" + Guid.NewGuid().ToString("N")[..8];
        await Client.GetGrain<IWorkspaceGrain>(workspaceId).Create(new CreateWorkspace("Acme", owner));
        await Client.GetGrain<IAppGrain>(appId).Create(new CreateApp(workspaceId, "Support bot", Product.AutomationAi, owner, null));
        return (workspaceId, appId, owner);
    }

    public IAppPaymentsGrain Payments(string appId) => Client.GetGrain<IAppPaymentsGrain>(appId);

    public IPaymentMethodsGrain Methods(string appId) => Client.GetGrain<IPaymentMethodsGrain>(appId);

    public IAutoReloadGrain AutoReload(string appId) => Client.GetGrain<IAutoReloadGrain>(appId);

    public async Task<string> AddCardAsync(string appId, string number = GoodCard, int month = 12, int year = 2030) =>
        (await Methods(appId).AddPaymentMethod(new AddPaymentMethod(PaymentMethodKind.Card, new NewCard(number, "Ada Lovelace", month, year, "123"), null, "user-1"))).Id;

    public async Task<string> AddPayPalAsync(string appId, string email = "buyer@sandbox.paypal.test") =>
        (await Methods(appId).AddPaymentMethod(new AddPaymentMethod(PaymentMethodKind.PayPal, null, email, "user-1"))).Id;

    /// <summary>Adds funds with a stored method; a card payment is confirmed with the sandbox OTP.</summary>
    public async Task<PaymentView> BuyAsync(string appId, string methodId, decimal amountUsd, PaymentMethodKind kind = PaymentMethodKind.Card)
    {
        var payment = await Payments(appId).AddFunds(new AddFunds("pay_" + Guid.NewGuid().ToString("N"), amountUsd, kind, methodId, "user-1"));
        return payment.Status == PaymentStatus.RequiresOtp ? await Payments(appId).ConfirmOtp(payment.Id, Otp) : payment;
    }

    public async Task<List<LedgerEntry>> PaidLedgerAsync(string appId)
    {
        // Wallets' postings are filed from the silos' journals: read after everything appended so far is filed.
        await Billing.Journal.UsageFiling.FileEverywhereAsync(Client, strict: true);
        var entries = new List<LedgerEntry>();
        await foreach (var e in LedgerTable.ReadAllAsync(Ledgers, AppWalletGrain.BookId(appId), WalletAccounts.Paid))
            entries.Add(e);
        return entries;
    }

    public IReadOnlyList<T> EventsOf<T>(string appId) where T : BillingEvent =>
        [.. Events.OfType<T>().Where(e => e switch
        {
            AppBillingEvent a => a.AppId == appId,
            InvoiceIssued i => i.AppId == appId,
            PaymentMethodExpiry p => p.AppId == appId,
            _ => false,
        })];
}

/// <summary>Every log line the silos write, with exceptions, so a test can check what never reaches a log.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Capture(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Capture(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception}");
    }
}
