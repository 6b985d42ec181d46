using Billing.Errors;
using Billing.Invoices;
using Billing.Ledgers;
using Billing.Notifications;
using Billing.Payments;
using Billing.Tests.Infrastructure;
using Billing.Wallets;

namespace Billing.Tests.Payments;

/// <summary>Add funds by card, PayPal and wire (M1, M2), invoices (U4), card expiry (M3): one cluster for the class.</summary>
public sealed class PaymentsTests(PaymentsFixture fx) : IClassFixture<PaymentsFixture>
{
    [Theory]
    [InlineData("4242424242424242", PaymentStatus.Succeeded, null)]
    [InlineData("5555 5555 5555 4444", PaymentStatus.Succeeded, null)]
    [InlineData("4000000000000002", PaymentStatus.Failed, "Declined")]
    [InlineData("4000000000009995", PaymentStatus.Failed, "InsufficientFunds")]
    [InlineData("4000000000000069", PaymentStatus.Failed, "Expired")]
    [InlineData("4000000000003063", PaymentStatus.Failed, "otp_failed")]
    public async Task Each_sandbox_test_card_gives_its_documented_outcome_M1(string number, PaymentStatus status, string? reason)
    {
        var (_, app, _) = await fx.NewAppAsync();
        var card = await fx.AddCardAsync(app, number);

        var payment = await fx.BuyAsync(app, card, 150m);

        Assert.Equal((status, reason), (payment.Status, payment.FailureReason));
        var credited = (await fx.PaidLedgerAsync(app)).Where(e => e.Kind == LedgerEntryKind.Purchase).Sum(e => e.AmountUsd);
        Assert.Equal(status == PaymentStatus.Succeeded ? 150m : 0m, credited);
        Assert.Equal(status == PaymentStatus.Succeeded ? 1 : 0, fx.EventsOf<CreditsPurchased>(app).Count);
        Assert.Equal(status == PaymentStatus.Succeeded, payment.InvoiceNumber is not null);
    }

    [Theory]
    [InlineData("buyer@sandbox.paypal.test", PaymentStatus.Succeeded, null)]
    [InlineData("declined@sandbox.paypal.test", PaymentStatus.Failed, "Declined")]
    [InlineData("no-funds@sandbox.paypal.test", PaymentStatus.Failed, "InsufficientFunds")]
    [InlineData("expired@sandbox.paypal.test", PaymentStatus.Failed, "Expired")]
    public async Task Each_PayPal_sandbox_account_gives_its_documented_outcome_M1(string email, PaymentStatus status, string? reason)
    {
        var (_, app, _) = await fx.NewAppAsync();
        var paypal = await fx.AddPayPalAsync(app, email);

        var payment = await fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal);

        Assert.Equal((status, reason), (payment.Status, payment.FailureReason));
        Assert.Equal(status == PaymentStatus.Succeeded ? 100m : 0m, (await fx.Payments(app).GetPayments()).Where(p => p.Status == PaymentStatus.Succeeded).Sum(p => p.AmountUsd));
    }

    [Fact]
    public async Task A_card_is_kept_as_token_brand_last4_and_expiry_only_M1()
    {
        var (_, app, _) = await fx.NewAppAsync();
        await fx.AddCardAsync(app, "4242 4242 4242 4242", 7, 2031);

        var method = Assert.Single(await fx.Methods(app).GetPaymentMethods());

        Assert.Equal(("Visa", "4242", 7, 2031), (method.Brand, method.Last4, method.ExpiryMonth, method.ExpiryYear));
        Assert.DoesNotContain("42424242", method.Display, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4242424242424241", "card.number")] // fails the Luhn check
    [InlineData("4111111111111111", "card.number")] // valid, but not a sandbox test card
    public async Task A_card_the_sandbox_does_not_know_is_refused_naming_the_field(string number, string field)
    {
        var (_, app, _) = await fx.NewAppAsync();
        var e = await Assert.ThrowsAsync<BillingException>(() => fx.AddCardAsync(app, number));
        Assert.Equal((BillingErrorKind.Invalid, field), (e.Kind, e.Field));
    }

    [Fact]
    public async Task A_card_past_its_expiry_is_refused_M1()
    {
        var (_, app, _) = await fx.NewAppAsync();
        var e = await Assert.ThrowsAsync<BillingException>(() => fx.AddCardAsync(app, month: 10, year: 2026));
        Assert.Equal("card.expired", e.Code);
    }

    [Theory]
    [InlineData(99.99)]
    [InlineData(20_000.01)]
    [InlineData(150.001)]
    public async Task A_payment_outside_100_to_20000_dollars_is_refused_M1(decimal amount)
    {
        var (_, app, _) = await fx.NewAppAsync();
        var paypal = await fx.AddPayPalAsync(app);
        var e = await Assert.ThrowsAsync<BillingException>(() => fx.BuyAsync(app, paypal, amount, PaymentMethodKind.PayPal));
        Assert.Equal("amountUsd", e.Field);
        Assert.Empty(await fx.Payments(app).GetPayments());
    }

    [Fact]
    public async Task The_limits_themselves_are_allowed_M1()
    {
        var (_, app, _) = await fx.NewAppAsync();
        var paypal = await fx.AddPayPalAsync(app);
        Assert.Equal(PaymentStatus.Succeeded, (await fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal)).Status);
        Assert.Equal(PaymentStatus.Succeeded, (await fx.BuyAsync(app, paypal, 20_000m, PaymentMethodKind.PayPal)).Status);
        Assert.Equal(20_100m, (await fx.Client.GetGrain<IAppWalletGrain>(app).GetBalance()).PaidUsd);
    }

    [Fact]
    public async Task A_card_payment_in_progress_refuses_another_but_a_pending_wire_blocks_nothing_M1_M2()
    {
        var (_, app, _) = await fx.NewAppAsync();
        var card = await fx.AddCardAsync(app);
        var paypal = await fx.AddPayPalAsync(app);
        var payments = fx.Payments(app);

        var wire = await payments.AddFunds(new AddFunds("pay_wire1", 5_000m, PaymentMethodKind.WireTransfer, null, "user-1"));
        var awaitingOtp = await payments.AddFunds(new AddFunds("pay_card1", 200m, PaymentMethodKind.Card, card, "user-1"));
        var refused = await Assert.ThrowsAsync<BillingException>(() => payments.AddFunds(new AddFunds("pay_pp1", 300m, PaymentMethodKind.PayPal, paypal, "user-1")));
        var confirmed = await payments.ConfirmOtp(awaitingOtp.Id, PaymentsFixture.Otp);
        var afterwards = await payments.AddFunds(new AddFunds("pay_pp2", 300m, PaymentMethodKind.PayPal, paypal, "user-1"));

        Assert.Equal(PaymentStatus.AwaitingTransfer, wire.Status);
        Assert.Equal(PaymentStatus.RequiresOtp, awaitingOtp.Status);
        Assert.Equal(("payment.in-progress", BillingErrorKind.Conflict), (refused.Code, refused.Kind));
        Assert.Contains("previous payment", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(PaymentStatus.Succeeded, confirmed.Status);
        Assert.Equal(PaymentStatus.Succeeded, afterwards.Status);
        Assert.Equal(500m, (await fx.Client.GetGrain<IAppWalletGrain>(app).GetBalance()).PaidUsd); // the wire has not cleared
    }

    [Fact]
    public async Task A_card_payment_whose_OTP_never_comes_is_abandoned_and_stops_blocking_M1()
    {
        var (_, app, _) = await fx.NewAppAsync();
        var card = await fx.AddCardAsync(app);
        var paypal = await fx.AddPayPalAsync(app);
        var waiting = await fx.Payments(app).AddFunds(new AddFunds("pay_slowotp", 200m, PaymentMethodKind.Card, card, "user-1"));

        fx.Clock.Advance(TimeSpan.FromMinutes(16));
        var next = await fx.Payments(app).AddFunds(new AddFunds("pay_next", 200m, PaymentMethodKind.PayPal, paypal, "user-1"));

        Assert.Equal(PaymentStatus.Abandoned, (await fx.Payments(app).GetPayment(waiting.Id))!.Status);
        Assert.Equal(PaymentStatus.Succeeded, next.Status);
    }

    [Fact]
    public async Task A_wire_transfer_loads_its_credits_only_when_it_clears_and_only_once_M2()
    {
        var (_, app, _) = await fx.NewAppAsync();
        var payments = fx.Payments(app);
        var wire = await payments.AddFunds(new AddFunds("pay_wire", 2_500m, PaymentMethodKind.WireTransfer, null, "user-1"));
        var before = (await fx.Client.GetGrain<IAppWalletGrain>(app).GetBalance()).PaidUsd;

        var wrongAmount = await Assert.ThrowsAsync<BillingException>(() => payments.ClearWireTransfer(wire.Id, 2_000m, "operator-1"));
        var cleared = await payments.ClearWireTransfer(wire.Id, 2_500m, "operator-1");
        var again = await payments.ClearWireTransfer(wire.Id, 2_500m, "webhook:evt-2");

        Assert.Equal(0m, before);
        Assert.Equal("amountUsd", wrongAmount.Field);
        Assert.Equal(PaymentStatus.Succeeded, cleared.Status);
        Assert.Equal(cleared.InvoiceNumber, again.InvoiceNumber);
        Assert.Single(await fx.PaidLedgerAsync(app), e => e.Kind == LedgerEntryKind.Purchase && e.AmountUsd == 2_500m);
        Assert.Single(fx.EventsOf<InvoiceIssued>(app).Select(e => e.InvoiceNumber).Distinct());
    }

    [Fact]
    public async Task A_retried_add_funds_answers_the_first_payment_and_charges_once()
    {
        var (_, app, _) = await fx.NewAppAsync();
        var paypal = await fx.AddPayPalAsync(app);
        var command = new AddFunds("pay_retry", 400m, PaymentMethodKind.PayPal, paypal, "user-1");

        var first = await fx.Payments(app).AddFunds(command);
        var second = await fx.Payments(app).AddFunds(command);

        Assert.Equal(first, second);
        Assert.Equal(400m, (await fx.PaidLedgerAsync(app)).Sum(e => e.AmountUsd));
    }

    [Fact]
    public async Task Every_purchase_gets_one_invoice_numbered_without_gaps_U4()
    {
        var apps = new List<(string Workspace, string App, string PayPal)>();
        for (var i = 0; i < 6; i++)
        {
            var (ws, app, _) = await fx.NewAppAsync();
            apps.Add((ws, app, await fx.AddPayPalAsync(app)));
        }

        // Concurrent purchases in six apps all take numbers from the one sequence.
        var payments = await Task.WhenAll(apps.Select(a => fx.BuyAsync(a.App, a.PayPal, 100m, PaymentMethodKind.PayPal)));

        var numbers = payments.Select(p => p.InvoiceNumber!).ToList();
        Assert.Equal(numbers.Count, numbers.Distinct().Count());
        // No gap and no repeat over every invoice ever issued in this storage account (other tests' included).
        var all = new List<long>();
        await foreach (var row in fx.Azurite.ServiceClient.GetTableClient("Invoices").QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == "seq"))
        {
            if (row.RowKey.StartsWith('n'))
                all.Add(long.Parse(row.RowKey[1..], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(Enumerable.Range(1, all.Count).Select(n => (long)n), all.Order());
        foreach (var (ws, app, _) in apps)
        {
            var invoice = Assert.Single(await fx.Client.GetGrain<IInvoiceQueryGrain>(0).List(ws, app));
            Assert.Equal((InvoiceSubject.CreditPurchase, 100m), (invoice.Draft.Subject, invoice.TotalUsd));
        }
    }

    [Fact]
    public async Task Issuing_the_same_source_again_answers_the_first_invoice_and_takes_no_number_U4()
    {
        var (ws, app, _) = await fx.NewAppAsync();
        var draft = new InvoiceDraft($"test:{Guid.NewGuid():N}", ws, app, "Support bot", InvoiceSubject.CreditPurchase, "Standard plan", 100m,
            [new InvoiceLine("Paid credits", 1, 100m, 100m)], "PayPal", fx.Clock.GetUtcNow());
        var sequence = fx.Client.GetGrain<IInvoiceSequenceGrain>(0);

        var first = await sequence.Issue(draft);
        var again = await sequence.Issue(draft with { Lines = [new InvoiceLine("Changed", 1, 999m, 999m)] });

        // Immutable: the stored invoice, not the new draft.
        Assert.Equal((first.Number, first.TotalUsd), (again.Number, again.TotalUsd));
        Assert.Equal(first.Draft.Lines, again.Draft.Lines);
        Assert.Single(await fx.Client.GetGrain<IInvoiceQueryGrain>(0).List(ws, null));
    }

    [Fact]
    public async Task An_invoice_downloads_as_a_PDF_with_its_number_U4()
    {
        var (ws, app, _) = await fx.NewAppAsync();
        var payment = await fx.BuyAsync(app, await fx.AddPayPalAsync(app), 250m, PaymentMethodKind.PayPal);

        var pdf = await fx.Client.GetGrain<IInvoiceQueryGrain>(0).RenderPdf(ws, payment.InvoiceNumber!);
        var otherWorkspace = await fx.Client.GetGrain<IInvoiceQueryGrain>(0).RenderPdf("ws_" + Guid.NewGuid().ToString("N"), payment.InvoiceNumber!);

        Assert.NotNull(pdf);
        Assert.Equal("%PDF-", System.Text.Encoding.ASCII.GetString(pdf, 0, 5));
        using var document = PdfSharp.Pdf.IO.PdfReader.Open(new MemoryStream(pdf), PdfSharp.Pdf.IO.PdfDocumentOpenMode.Import);
        Assert.Equal(1, document.PageCount);
        Assert.Equal($"Invoice {payment.InvoiceNumber}", document.Info.Title);
        Assert.Null(otherWorkspace);
    }

    [Fact]
    public async Task A_card_sends_a_notice_30_days_before_it_expires_and_one_when_it_has_each_once_M3()
    {
        var (ws, app, _) = await fx.NewAppAsync();
        // The fixture's clock starts on 2026-11-02: a card valid through 01/2027 expires on 2027-02-01.
        var card = await fx.AddCardAsync(app, month: 1, year: 2027);
        var clock = fx.Client.GetGrain<ITestClockGrain>(ws);

        await clock.Advance(TimeSpan.FromDays(60)); // 2027-01-01: 31 days before
        var early = fx.EventsOf<PaymentMethodExpiry>(app).Count;
        await clock.Advance(TimeSpan.FromDays(2));  // 2027-01-03: within 30 days
        await fx.Methods(app).RunDue();              // a doubled tick
        await clock.Advance(TimeSpan.FromDays(30)); // 2027-02-02: expired
        await fx.Methods(app).RunDue();

        var notices = fx.EventsOf<PaymentMethodExpiry>(app);
        Assert.Equal(0, early);
        Assert.Equal([false, true], notices.Select(n => n.HasExpired));
        Assert.All(notices, n => Assert.Equal(new DateOnly(2027, 1, 31), n.ExpiresOn));
        Assert.All(notices, n => Assert.Contains("ending 4242", n.PaymentMethod.Display, StringComparison.Ordinal));
        Assert.NotNull(card);
    }

    [Fact]
    public async Task Enterprise_workspaces_cannot_add_funds_reload_or_change_methods_W4()
    {
        var (ws, app, owner) = await fx.NewAppAsync();
        var paypal = await fx.AddPayPalAsync(app);
        await fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal);
        await EnterpriseWorkspaces.MakeEnterpriseAsync(fx.Cluster, ws, owner, fx.Clock.GetUtcNow());

        var addFunds = await Assert.ThrowsAsync<BillingException>(() => fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal));
        var addMethod = await Assert.ThrowsAsync<BillingException>(() => fx.AddCardAsync(app));
        var removeMethod = await Assert.ThrowsAsync<BillingException>(() => fx.Methods(app).RemovePaymentMethod(paypal, owner));
        var reload = await Assert.ThrowsAsync<BillingException>(() => fx.AutoReload(app).ConfigureAutoReload(new AutoReloadSettings(true, 100m, 60m, paypal), owner));

        Assert.All(new[] { addFunds, addMethod, removeMethod, reload }, e => Assert.Equal(("workspace.enterprise.contract-billed", BillingErrorKind.Forbidden), (e.Code, e.Kind)));
    }
}
