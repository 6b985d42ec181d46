using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Metering;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Api;

/// <summary>Balances, ledgers, free credits, trends, the CSV export and operator adjustments over REST.</summary>
public sealed class MeteringApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpClient Owner, string WorkspaceId, string AppId)> NewAppAsync()
    {
        var owner = api.ClientFor("owner-" + Guid.NewGuid().ToString("N"));
        var workspace = await (await owner.PostAsJsonAsync("/workspaces", new { name = "Acme" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var workspaceId = workspace.GetProperty("id").GetString()!;
        var created = await owner.PostAsJsonAsync($"/workspaces/{workspaceId}/apps", new { name = "Support bot", product = "AutomationAi" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var app = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (owner, workspaceId, app.GetProperty("id").GetString()!);
    }

    private Task<MeterDecision> Meter(string appId, string user, string channel = "webchat") =>
        api.Cluster.Client.Meter(new ChannelMessage("m-" + Guid.NewGuid().ToString("N"), appId, channel, ChannelClass.Chat, user, "kore-" + user, api.Clock.GetUtcNow(), MessageKind.UserMessage));

    [Fact]
    public async Task Owners_see_balances_ledgers_and_free_credits_and_outsiders_get_404_C7()
    {
        var (owner, workspaceId, appId) = await NewAppAsync();
        await Meter(appId, "alice");
        var stranger = api.ClientFor("stranger-" + Guid.NewGuid().ToString("N"));

        var balance = await owner.GetFromJsonAsync<JsonElement>($"/apps/{appId}/balance", Ct);
        var ledger = await owner.GetFromJsonAsync<JsonElement>($"/apps/{appId}/ledger?account=free", Ct);
        var free = await owner.GetFromJsonAsync<JsonElement>($"/workspaces/{workspaceId}/free-credits", Ct);

        Assert.Equal(0m, balance.GetProperty("paidUsd").GetDecimal());
        var kinds = ledger.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["Lease", "Charge"], kinds);
        Assert.Equal(0.20m, free.GetProperty("usedUsd").GetDecimal());
        Assert.Equal(499.80m, free.GetProperty("remainingUsd").GetDecimal());
        foreach (var path in new[] { $"/apps/{appId}/balance", $"/apps/{appId}/ledger", $"/workspaces/{workspaceId}/free-credits", $"/apps/{appId}/usage/trend", $"/apps/{appId}/usage/export" })
            Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync(path, Ct)).StatusCode);
    }

    [Theory]
    [InlineData("granularity=week", "granularity")]
    [InlineData("range=5w", "range")]
    [InlineData("from=2026-01-01&to=2026-06-01", "to")]
    [InlineData("granularity=month&from=2025-01-01&to=2026-06-01", "to")]
    [InlineData("from=yesterday", "from")]
    public async Task Trend_ranges_outside_U1_are_a_400_naming_the_field(string query, string field)
    {
        var (owner, _, appId) = await NewAppAsync();

        var response = await owner.GetAsync($"/apps/{appId}/usage/trend?{query}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Workspace_trend_sums_its_apps_per_day_U1()
    {
        var (owner, workspaceId, appId) = await NewAppAsync();
        await Meter(appId, "a");
        await Meter(appId, "b");
        var day = DateOnly.FromDateTime(api.Clock.GetUtcNow().UtcDateTime);

        var trend = await owner.GetFromJsonAsync<JsonElement>($"/workspaces/{workspaceId}/usage/trend?from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}", Ct);

        var point = trend.GetProperty("points").EnumerateArray().Single();
        Assert.Equal((2, 2), (point.GetProperty("billingSessions").GetInt32(), point.GetProperty("requests").GetInt32()));
    }

    [Fact]
    public async Task The_csv_export_has_exactly_the_U2_columns_one_row_per_message_and_quotes_per_RFC_4180()
    {
        var (owner, _, appId) = await NewAppAsync();
        await Meter(appId, "carol", channel: "web,chat \"beta\"");
        await Meter(appId, "carol", channel: "web,chat \"beta\"");
        var day = DateOnly.FromDateTime(api.Clock.GetUtcNow().UtcDateTime);

        var response = await owner.GetAsync($"/apps/{appId}/usage/export?from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            "Bot ID,Channel,Kore User ID,Channel User ID,Billing Session Type,Conversation Session Id,Conversation Session Start Date Time,Conversation Session End Date Time,Billing Session Id,Billing Session Start Date Time,Billing Session End Date Time,Message Id",
            lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"{appId},\"web,chat \"\"beta\"\"\",kore-carol,carol,Chat,cs_", lines[1]);
        Assert.Matches(@",\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,", lines[1]);
    }

    [Fact]
    public async Task Operators_grant_credits_with_a_reason_and_owners_cannot_C7()
    {
        var (owner, _, appId) = await NewAppAsync();
        var operatorClient = api.ClientFor("support-1", "billing-operator");
        var body = new { kind = "Grant", amountUsd = 25.50m, reason = "Goodwill credit for outage #42" };

        var byOwner = await Post(owner, $"/operator/apps/{appId}/credits", body, "k1");
        var noReason = await Post(operatorClient, $"/operator/apps/{appId}/credits", new { kind = "Grant", amountUsd = 5m, reason = "" }, "k2");
        var noKey = await Post(operatorClient, $"/operator/apps/{appId}/credits", body, null);
        var first = await Post(operatorClient, $"/operator/apps/{appId}/credits", body, "k3");
        var replay = await Post(operatorClient, $"/operator/apps/{appId}/credits", body, "k3");

        Assert.Equal(HttpStatusCode.Forbidden, byOwner.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var entry = await first.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((await replay.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("seq").GetInt64(), entry.GetProperty("seq").GetInt64());
        Assert.Equal("operator:support-1", entry.GetProperty("cause").GetString());
        Assert.Equal("Goodwill credit for outage #42", entry.GetProperty("reason").GetString());
        var balance = await owner.GetFromJsonAsync<JsonElement>($"/apps/{appId}/balance", Ct);
        Assert.Equal(25.50m, balance.GetProperty("paidUsd").GetDecimal());
    }

    private static async Task<HttpResponseMessage> Post(HttpClient client, string path, object body, string? idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request, Ct);
    }
}
