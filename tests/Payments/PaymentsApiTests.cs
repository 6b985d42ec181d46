using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Billing.Api.Idempotency;
using Billing.Api.Payments;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Payments;

/// <summary>Add funds, payment methods, webhooks, invoices and test clocks over REST, with Idempotency-Key semantics.</summary>
public sealed class PaymentsApiTests(ApiFixture api, AzuriteFixture azurite) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpClient Owner, string OwnerId, string WorkspaceId, string AppId)> NewAppAsync()
    {
        var ownerId = "owner-" + Guid.NewGuid().ToString("N");
        var owner = api.ClientFor(ownerId);
        var workspace = await (await owner.PostAsJsonAsync("/workspaces", new { name = "Acme" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var workspaceId = workspace.GetProperty("id").GetString()!;
        var app = await (await owner.PostAsJsonAsync($"/workspaces/{workspaceId}/apps", new { name = "Support bot", product = "AutomationAi" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (owner, ownerId, workspaceId, app.GetProperty("id").GetString()!);
    }

    private static async Task<string> AddPayPalAsync(HttpClient owner, string appId)
    {
        var response = await owner.PostAsJsonAsync($"/apps/{appId}/payment-methods", new { kind = "PayPal", payPalEmail = "buyer@sandbox.paypal.test" }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
            request.Headers.Add(IdempotencyKeys.Header, key);
        return client.SendAsync(request, Ct);
    }

    private async Task<decimal> PaidBalanceAsync(HttpClient owner, string appId) =>
        (await owner.GetFromJsonAsync<JsonElement>($"/apps/{appId}/balance", Ct)).GetProperty("paidUsd").GetDecimal();

    [Fact]
    public async Task Funds_with_only_an_amount_are_paid_by_the_apps_one_PayPal_method_M1()
    {
        var (owner, _, _, appId) = await NewAppAsync();
        var paypal = await AddPayPalAsync(owner, appId);

        var response = await PostAsync(owner, $"/apps/{appId}/funds", """{"amountUsd":100}""", "only-amount");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var payment = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("PayPal", paypal, "Succeeded"), (payment.GetProperty("method").GetString(), payment.GetProperty("paymentMethodId").GetString(), payment.GetProperty("status").GetString()));
        Assert.Equal(100m, await PaidBalanceAsync(owner, appId));
    }

    [Fact]
    public async Task Funds_without_a_method_the_app_can_default_to_are_400_naming_paymentMethodId_M1()
    {
        var (owner, _, _, appId) = await NewAppAsync();

        var none = await PostAsync(owner, $"/apps/{appId}/funds", """{"amountUsd":100}""", "no-method");
        await AddPayPalAsync(owner, appId);
        await AddPayPalAsync(owner, appId);
        var two = await PostAsync(owner, $"/apps/{appId}/funds", """{"amountUsd":100}""", "two-methods");

        foreach (var response in new[] { none, two })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("payment-method.required", problem.GetProperty("code").GetString());
            Assert.True(problem.GetProperty("errors").TryGetProperty("paymentMethodId", out _), problem.ToString());
        }

        Assert.Equal(0m, await PaidBalanceAsync(owner, appId));
    }

    [Fact]
    public async Task The_same_Idempotency_Key_and_body_replay_the_first_answer_and_charge_once()
    {
        var (owner, _, _, appId) = await NewAppAsync();
        var paypal = await AddPayPalAsync(owner, appId);
        var body = JsonSerializer.Serialize(new { amountUsd = 150, method = "PayPal", paymentMethodId = paypal });

        var missing = await PostAsync(owner, $"/apps/{appId}/funds", body, null);
        var first = await PostAsync(owner, $"/apps/{appId}/funds", body, "key-1");
        var replay = await PostAsync(owner, $"/apps/{appId}/funds", body, "key-1");

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains(IdempotencyKeys.Header, await missing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await replay.Content.ReadAsStringAsync(Ct));
        Assert.Equal(first.Headers.Location, replay.Headers.Location);
        Assert.True(replay.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal(150m, await PaidBalanceAsync(owner, appId));
    }

    [Fact]
    public async Task The_same_Idempotency_Key_with_another_body_is_422_and_while_the_first_runs_409()
    {
        var (owner, ownerId, _, appId) = await NewAppAsync();
        var paypal = await AddPayPalAsync(owner, appId);
        var body = JsonSerializer.Serialize(new { amountUsd = 150, method = "PayPal", paymentMethodId = paypal });
        await PostAsync(owner, $"/apps/{appId}/funds", body, "key-a");

        var other = await PostAsync(owner, $"/apps/{appId}/funds", body.Replace("150", "160", StringComparison.Ordinal), "key-a");
        // A request with key-b is running (recorded in flight exactly as the filter records it before it runs).
        var store = new IdempotencyStore(azurite.ServiceClient, TimeProvider.System);
        var path = $"/apps/{appId}/funds";
        await store.BeginAsync(ownerId, "key-b", IdempotencyFilter.Fingerprint("POST", path, Encoding.UTF8.GetBytes(body)), Ct);
        var inFlight = await PostAsync(owner, path, body, "key-b");
        // Keys are per caller: another caller's key-a is its own.
        var stranger = await PostAsync(api.ClientFor("stranger-" + Guid.NewGuid().ToString("N")), path, body, "key-a");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, inFlight.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.Equal(150m, await PaidBalanceAsync(owner, appId));
    }

    [Fact]
    public async Task A_card_payment_is_confirmed_by_OTP_and_the_card_is_shown_only_by_brand_and_last_4_M1()
    {
        var (owner, _, _, appId) = await NewAppAsync();
        var added = await owner.PostAsJsonAsync($"/apps/{appId}/payment-methods", new { kind = "Card", card = new { number = "4242 4242 4242 4242", holder = "Ada", expiryMonth = 12, expiryYear = 2030, cvv = "123" } }, Ct);
        var card = await added.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var cardId = card.GetProperty("id").GetString()!;

        var started = await PostAsync(owner, $"/apps/{appId}/funds", JsonSerializer.Serialize(new { amountUsd = 300, method = "Card", paymentMethodId = cardId }), "card-1");
        var payment = await started.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var wrongOtp = await PostAsync(owner, $"/apps/{appId}/payments/{payment.GetProperty("id").GetString()}/otp", """{"code":""}""", "otp-0");
        var confirmed = await PostAsync(owner, $"/apps/{appId}/payments/{payment.GetProperty("id").GetString()}/otp", """{"code":"123456"}""", "otp-1");

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.DoesNotContain("4242424242424242", card.GetRawText(), StringComparison.Ordinal);
        Assert.Equal("4242", card.GetProperty("last4").GetString());
        Assert.Equal("RequiresOtp", payment.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, wrongOtp.StatusCode);
        Assert.Equal("Succeeded", (await confirmed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
        Assert.Equal(300m, await PaidBalanceAsync(owner, appId));
    }

    [Fact]
    public async Task A_signed_webhook_clears_a_wire_transfer_once_and_bad_or_stale_signatures_are_401_M2()
    {
        var (owner, _, _, appId) = await NewAppAsync();
        var order = await PostAsync(owner, $"/apps/{appId}/funds", """{"amountUsd":1000,"method":"WireTransfer"}""", "wire-1");
        var paymentId = (await order.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString();
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { id = "evt_" + Guid.NewGuid().ToString("N"), type = "wire_transfer.cleared", data = new { appId, paymentId, amountUsd = 1000 } }));
        var anonymous = api.AnonymousClient();

        var badSignature = await Webhook(anonymous, body, WebhookSignature.Sign("not-the-secret-at-all", DateTimeOffset.UtcNow, body));
        var stale = await Webhook(anonymous, body, WebhookSignature.Sign(ApiFixture.WebhookSecret, DateTimeOffset.UtcNow.AddMinutes(-6), body));
        var pending = await PaidBalanceAsync(owner, appId);
        var cleared = await Webhook(anonymous, body, WebhookSignature.Sign(ApiFixture.WebhookSecret, DateTimeOffset.UtcNow, body));
        var duplicate = await Webhook(anonymous, body, WebhookSignature.Sign(ApiFixture.WebhookSecret, DateTimeOffset.UtcNow, body));

        Assert.Equal(HttpStatusCode.Created, order.StatusCode);
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (badSignature.StatusCode, stale.StatusCode));
        Assert.Equal(0m, pending);
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.True((await duplicate.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("duplicate").GetBoolean());
        Assert.Equal(1000m, await PaidBalanceAsync(owner, appId));
    }

    [Fact]
    public async Task Invoices_are_listed_in_order_and_download_as_PDF_and_outsiders_get_404_U4()
    {
        var (owner, _, workspaceId, appId) = await NewAppAsync();
        var paypal = await AddPayPalAsync(owner, appId);
        foreach (var (amount, key) in new[] { (100, "i-1"), (200, "i-2") })
            Assert.Equal(HttpStatusCode.Created, (await PostAsync(owner, $"/apps/{appId}/funds", JsonSerializer.Serialize(new { amountUsd = amount, paymentMethodId = paypal }), key)).StatusCode);
        var stranger = api.ClientFor("stranger-" + Guid.NewGuid().ToString("N"));

        var invoices = await owner.GetFromJsonAsync<JsonElement>($"/workspaces/{workspaceId}/invoices", Ct);
        var numbers = invoices.EnumerateArray().Select(i => i.GetProperty("number").GetString()!).ToList();
        var pdf = await owner.GetAsync($"/workspaces/{workspaceId}/invoices/{numbers[0]}/pdf", Ct);

        Assert.Equal([100m, 200m], invoices.EnumerateArray().Select(i => i.GetProperty("totalUsd").GetDecimal()));
        Assert.Equal(numbers.Order(StringComparer.Ordinal), numbers);
        Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
        Assert.Equal("%PDF-", Encoding.ASCII.GetString((await pdf.Content.ReadAsByteArrayAsync(Ct))[..5]));
        foreach (var path in new[] { $"/workspaces/{workspaceId}/invoices", $"/workspaces/{workspaceId}/invoices/{numbers[0]}/pdf", $"/apps/{appId}/invoices", $"/apps/{appId}/payments", $"/apps/{appId}/payment-methods" })
            Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync(path, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(stranger, $"/apps/{appId}/funds", """{"amountUsd":100}""", "s-1")).StatusCode);
    }

    [Fact]
    public async Task Operators_move_a_sandbox_test_clock_and_owners_cannot()
    {
        var (owner, _, workspaceId, appId) = await NewAppAsync();
        var paypal = await AddPayPalAsync(owner, appId);
        var subscribed = await PostAsync(owner, $"/apps/{appId}/subscriptions", JsonSerializer.Serialize(new { plan = "Enhanced", period = "Monthly", paymentMethodId = paypal }), "sub-1");
        var due = (await subscribed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("renewalDueAt").GetDateTimeOffset();
        var operatorClient = api.ClientFor("support-1", "billing-operator");

        var byOwner = await PostAsync(owner, $"/operator/workspaces/{workspaceId}/test-clock/advance", """{"days":31}""", "clock-1");
        var moved = await PostAsync(operatorClient, $"/operator/workspaces/{workspaceId}/test-clock/advance", """{"days":31}""", "clock-1");
        var after = await owner.GetFromJsonAsync<JsonElement>($"/apps/{appId}/subscriptions", Ct);

        Assert.Equal(HttpStatusCode.OK, subscribed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byOwner.StatusCode);
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var support = after.EnumerateArray().Single(s => s.GetProperty("kind").GetString() == "Support");
        Assert.Equal(due.AddMonths(1), support.GetProperty("renewalDueAt").GetDateTimeOffset());
        Assert.Equal(2, support.GetProperty("invoiceNumbers").GetArrayLength());
    }

    [Fact]
    public async Task A_test_clock_moved_to_day_90_expires_the_free_credits_in_the_api_and_day_89_does_not_C2()
    {
        var (owner, _, workspaceId, _) = await NewAppAsync();
        var operatorClient = api.ClientFor("support-1", "billing-operator");
        var advance = $"/operator/workspaces/{workspaceId}/test-clock/advance";

        var to89 = await PostAsync(operatorClient, advance, """{"days":89}""", Guid.NewGuid().ToString("N"));
        var atDay89 = await owner.GetFromJsonAsync<JsonElement>($"/workspaces/{workspaceId}/free-credits", Ct);
        var to90 = await PostAsync(operatorClient, advance, """{"days":1}""", Guid.NewGuid().ToString("N"));
        var atDay90 = await owner.GetFromJsonAsync<JsonElement>($"/workspaces/{workspaceId}/free-credits", Ct);
        var ledger = await owner.GetFromJsonAsync<JsonElement>($"/workspaces/{workspaceId}/free-credits/ledger", Ct);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (to89.StatusCode, to90.StatusCode));
        Assert.Equal((false, 0m, 500m), (atDay89.GetProperty("expired").GetBoolean(), atDay89.GetProperty("forfeitedUsd").GetDecimal(), atDay89.GetProperty("remainingUsd").GetDecimal()));
        Assert.Equal((true, 500m, 0m), (atDay90.GetProperty("expired").GetBoolean(), atDay90.GetProperty("forfeitedUsd").GetDecimal(), atDay90.GetProperty("remainingUsd").GetDecimal()));
        var expiry = Assert.Single(ledger.GetProperty("entries").EnumerateArray(), e => e.GetProperty("kind").GetString() == "Expiry");
        Assert.Equal((-500m, 0m), (expiry.GetProperty("amountUsd").GetDecimal(), expiry.GetProperty("balanceAfterUsd").GetDecimal()));
        Assert.Equal(atDay90.GetProperty("expiresAt").GetDateTimeOffset(), expiry.GetProperty("at").GetDateTimeOffset());
    }

    private static Task<HttpResponseMessage> Webhook(HttpClient client, byte[] body, string signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/payments") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(WebhookSignature.Header, signature);
        return client.SendAsync(request, Ct);
    }
}
