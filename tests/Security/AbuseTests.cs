using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Billing.Api.Operators;
using Billing.Metering;
using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Billing.Tests.Workspaces;
using CsvHelper;

namespace Billing.Tests.Security;

/// <summary>The real outbox (emails go to the local pickup directory) and the default abuse limits.</summary>
public sealed class AbuseFixture(AzuriteFixture azurite) : ApiFixture(azurite)
{
    protected override bool RecordEvents => false;

    protected override IReadOnlyDictionary<string, string?> ApiSettings { get; } = new Dictionary<string, string?>
    {
        ["RateLimiting:PermitsPerCaller"] = "10000000",
        ["RateLimiting:PermitsPerTenant"] = "10000000",
    };
}

/// <summary>
/// What a hostile user tried against the product (docs/security.md): farming free credits with many workspaces,
/// relaying spam through invitations, joining with an address the identity provider never verified, ids that break
/// storage keys, formulas in exports, and input that parses but is out of every sensible range.
/// </summary>
public sealed class AbuseTests(AbuseFixture api) : IClassFixture<AbuseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Operator => api.ClientFor("support-abuse", OperatorApi.OperatorRole);

    private static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static Task<HttpResponseMessage> CreateWorkspace(HttpClient owner, string name = "Acme") => owner.PostAsJsonAsync("/workspaces", new { name }, Ct);

    // ---- Long user ids (a token's sub is chosen by the identity provider) -----------------------------------------

    [Fact]
    public async Task A_user_with_a_4000_character_sub_creates_a_workspace_is_listed_as_member_and_gets_the_welcome_email_W1_E1()
    {
        // '#' is escaped to three characters in table keys: this id is 12,000 characters as a naive key.
        var sub = new string('#', 3968) + Guid.NewGuid().ToString("N");
        Assert.Equal(4000, sub.Length);
        var email = $"long-{Guid.NewGuid():N}@example.test";
        var owner = api.ClientWithEmail(sub, email, "Lena Long");
        using var create = new HttpRequestMessage(HttpMethod.Post, "/workspaces") { Content = JsonContent.Create(new { name = "Long ids" }) };
        create.Headers.Add("Idempotency-Key", new string('#', 200)); // the longest key, escaped past a plain key's limit

        var workspace = await Json(await owner.SendAsync(create, Ct), HttpStatusCode.Created);
        var workspaceId = workspace.GetProperty("id").GetString()!;
        var members = await Json(await owner.GetAsync($"/workspaces/{workspaceId}/members", Ct), HttpStatusCode.OK);
        var member = Assert.Single(members.EnumerateArray());
        Assert.Equal((sub, "Owner", email), (member.GetProperty("userId").GetString(), member.GetProperty("role").GetString(), member.GetProperty("email").GetString()));

        for (var shard = 0; shard < OutboxShards.Count; shard++)
            await api.Cluster.Client.GetGrain<IOutboxGrain>(shard).Deliver();
        var sent = await Json(await Operator.GetAsync("/operator/outbox?status=sent&limit=500", Ct), HttpStatusCode.OK);
        var welcome = Assert.Single(sent.EnumerateArray(), m => m.GetProperty("eventId").GetString() == "workspace-created:" + workspaceId);
        Assert.Equal(email, welcome.GetProperty("to").GetString());
        Assert.Equal("user:" + sub, welcome.GetProperty("recipient").GetString());
    }

    // ---- Free-credit farming (C1) ---------------------------------------------------------------------------------

    [Fact]
    public async Task An_owners_fourth_workspace_in_30_days_is_refused_until_day_31_and_each_of_the_first_three_has_500_C1()
    {
        var owner = api.ClientFor("farmer-" + Guid.NewGuid().ToString("N"));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await Json(await CreateWorkspace(owner, $"Farm {i}"), HttpStatusCode.Created)).GetProperty("id").GetString()!);
            api.Clock.Advance(TimeSpan.FromHours(1));
        }

        var refused = await CreateWorkspace(owner, "Farm 4");
        var problem = await Json(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal("workspace.creation.limit", problem.GetProperty("code").GetString());
        var retryAt = problem.GetProperty("retryAt").GetDateTimeOffset();
        Assert.True(retryAt > api.Clock.GetUtcNow().AddDays(29), $"retry at {retryAt}");
        // The API's own clock is the real one in these tests (the cluster's is fake): only the header's presence is checked.
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture) >= 1);
        foreach (var id in ids)
            Assert.Equal(500m, (await Json(await owner.GetAsync($"/workspaces/{id}/free-credits", Ct), HttpStatusCode.OK)).GetProperty("remainingUsd").GetDecimal());

        api.Clock.Advance(TimeSpan.FromDays(31));
        await Json(await CreateWorkspace(owner, "Farm 4"), HttpStatusCode.Created);
    }

    [Fact]
    public async Task An_operator_lifts_the_workspace_limit_for_one_user_and_refused_names_use_none_of_it()
    {
        var userId = "agency-" + Guid.NewGuid().ToString("N");
        var owner = api.ClientFor(userId);
        foreach (var bad in new[] { "Pay\r\nBcc: x@example.com", "\u200B\u200B", "   " })
            await Json(await CreateWorkspace(owner, bad), HttpStatusCode.BadRequest);
        for (var i = 0; i < 3; i++)
            await Json(await CreateWorkspace(owner, $"Client {i}"), HttpStatusCode.Created);
        await Json(await CreateWorkspace(owner, "Client 3"), HttpStatusCode.TooManyRequests);

        var byOwner = await owner.PutAsJsonAsync($"/operator/users/{userId}/workspace-allowance", new { perThirtyDays = 10, reason = "Agency" }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, byOwner.StatusCode);
        var lifted = await Json(await Operator.PutAsJsonAsync($"/operator/users/{userId}/workspace-allowance", new { perThirtyDays = 10, reason = "Agency with many clients" }, Ct), HttpStatusCode.OK);
        Assert.Equal((10, true, 3), (lifted.GetProperty("perThirtyDays").GetInt32(), lifted.GetProperty("lifted").GetBoolean(), lifted.GetProperty("createdInWindow").GetInt32()));
        await Json(await CreateWorkspace(owner, "Client 3"), HttpStatusCode.Created);
    }

    // ---- Invitations (W2) -----------------------------------------------------------------------------------------

    [Fact]
    public async Task Accepting_an_invitation_needs_a_verified_email_W2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var invitee = "invitee-" + Guid.NewGuid().ToString("N");
        var email = $"{invitee}@example.com";
        var invitation = await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email, role = "Admin" }, Ct), HttpStatusCode.Created);
        var accept = $"/workspaces/{ws.Id}/invitations/{invitation.GetProperty("id").GetString()}/accept";

        foreach (var claims in new Claim[][] { [new("email", email), new("email_verified", "false", ClaimValueTypes.Boolean)], [new("email", email)] })
        {
            var unverified = api.Api.CreateClient();
            unverified.DefaultRequestHeaders.Authorization = new("Bearer", api.TokenFor(invitee, claims));
            var refused = await Json(await unverified.PostAsync(accept, null, Ct), HttpStatusCode.Forbidden);
            Assert.Equal("token.email.unverified", refused.GetProperty("code").GetString());
        }
        var members = await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}/members", Ct), HttpStatusCode.OK);
        Assert.Single(members.EnumerateArray());

        await Json(await api.ClientWithEmail(invitee, email).PostAsync(accept, null, Ct), HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_51st_invitation_of_a_day_is_refused_with_a_problem_detail_W2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        for (var i = 0; i < 50; i++)
            await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email = $"guest{i}-{Guid.NewGuid():N}@example.com", role = "Member" }, Ct), HttpStatusCode.Created);

        var refused = await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email = $"one-more-{Guid.NewGuid():N}@example.com", role = "Member" }, Ct);
        var problem = await Json(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal("invitation.daily-limit", problem.GetProperty("code").GetString());
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(50, (await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}/invitations", Ct), HttpStatusCode.OK)).GetArrayLength());
    }

    [Theory]
    [InlineData("\u0000")]
    [InlineData("Acme\u0000Corp")]
    [InlineData("Pay now\r\nhttps://phish.example")]
    [InlineData("\u202Egnp.exe")]
    [InlineData("\u200B\u200B\u200B")]
    [InlineData("\u00A0 \u2003")]
    [InlineData("tab\there")]
    public async Task Names_of_workspaces_and_apps_are_visible_text_only_and_the_400_names_the_field(string name)
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var workspace = await Json(await CreateWorkspace(api.ClientFor("namer-" + Guid.NewGuid().ToString("N")), name), HttpStatusCode.BadRequest);
        var app = await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/apps", new { name, product = "AutomationAi" }, Ct), HttpStatusCode.BadRequest);

        // The field is named (the framework's own required-field check spells it as the record property, "Name").
        Assert.True(workspace.GetProperty("errors").EnumerateObject().Any(e => e.Name.Equals("name", StringComparison.OrdinalIgnoreCase)), workspace.ToString());
        Assert.True(app.GetProperty("errors").EnumerateObject().Any(e => e.Name.Equals("name", StringComparison.OrdinalIgnoreCase)), app.ToString());
        Assert.Equal(0, (await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}/apps", Ct), HttpStatusCode.OK)).GetArrayLength());
    }

    // ---- Exports (U2) and ranges (U1) -----------------------------------------------------------------------------

    [Fact]
    public async Task A_channel_user_id_that_is_a_formula_is_exported_as_text_U2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);
        const string formula = "=HYPERLINK(\"http://x\")";
        var decision = await api.Cluster.Client.Meter(new ChannelMessage("m-" + Guid.NewGuid().ToString("N"), appId, "webchat", ChannelClass.Chat, formula, "@kore", api.Clock.GetUtcNow(), MessageKind.UserMessage));
        Assert.True(decision.IsAllowed, decision.ToString());
        var day = DateOnly.FromDateTime(api.Clock.GetUtcNow().UtcDateTime);

        var response = await ws.Owner.GetAsync($"/apps/{appId}/usage/export?from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var csv = CsvReader.Create(new StringReader(await response.Content.ReadAsStringAsync(Ct)), new CsvReaderOptions { Separator = ',' });
        Assert.True(csv.Read());
        Assert.Equal("'" + formula, csv.GetString("Channel User ID"));
        Assert.Equal("'@kore", csv.GetString("Kore User ID"));
    }

    [Theory]
    [InlineData("from=9999-12-31")]
    [InlineData("from=9999-12-01&to=9999-12-31")]
    [InlineData("granularity=month&from=9999-01-01&to=9999-12-31")]
    [InlineData("from=0001-01-01&to=0001-01-31")]
    public async Task Trends_and_exports_far_out_of_range_are_a_400_before_the_first_byte_U1_U2(string query)
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);
        foreach (var path in new[] { $"/apps/{appId}/usage/trend", $"/workspaces/{ws.Id}/usage/trend", $"/apps/{appId}/usage/export" })
        {
            var response = await ws.Owner.GetAsync($"{path}?{query}", Ct);
            var problem = await Json(response, HttpStatusCode.BadRequest);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(problem.GetProperty("errors").EnumerateObject().Any(), problem.ToString());
        }
    }

    [Fact]
    public async Task The_test_clock_refuses_a_huge_advance_with_a_400()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/operator/workspaces/{ws.Id}/test-clock/advance") { Content = JsonContent.Create(new { days = int.MaxValue }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        var problem = await Json(await Operator.SendAsync(request, Ct), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("days", out _), problem.ToString());
    }

    // ---- Responses --------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Every_answer_says_nosniff_and_problems_name_no_dotnet_types()
    {
        var caller = api.ClientFor("prober-" + Guid.NewGuid().ToString("N"));
        var responses = new[]
        {
            await api.AnonymousClient().GetAsync("/health/live", Ct),
            await caller.GetAsync($"/workspaces/ws_{Guid.NewGuid():N}", Ct),
            await caller.PostAsJsonAsync("/workspaces", new { name = 5 }, Ct),
            await caller.PostAsync("/workspaces", new StringContent("{\"name\": [1,", System.Text.Encoding.UTF8, "application/json"), Ct),
            await Operator.GetAsync("/operator/outbox?status=dead&limit=abc", Ct),
        };
        foreach (var response in responses)
        {
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            var body = await response.Content.ReadAsStringAsync(Ct);
            foreach (var leak in new[] { "System.", "Billing.", "Nullable", "Int32", "`1", "Exception" })
                Assert.DoesNotContain(leak, body, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.BadRequest, responses[4].StatusCode);
        Assert.True((await responses[4].Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("limit", out _));
    }

    [Fact]
    public async Task The_payment_webhook_refuses_an_unsigned_or_oversized_body_before_reading_it()
    {
        var anonymous = api.AnonymousClient();
        var big = new ByteArrayContent(new byte[1024 * 1024]);
        big.Headers.ContentType = new("application/json");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/webhooks/payments", big, Ct)).StatusCode);

        using var signed = new HttpRequestMessage(HttpMethod.Post, "/webhooks/payments") { Content = new ByteArrayContent(new byte[65 * 1024]) };
        signed.Headers.Add(Billing.Api.Payments.WebhookSignature.Header, "t=1,v1=00");
        var tooLarge = await anonymous.SendAsync(signed, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("webhook.body.too-large", (await tooLarge.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
    }
}
