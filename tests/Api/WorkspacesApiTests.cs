using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Api;

public sealed class WorkspacesApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Creating_a_workspace_makes_the_caller_owner_of_a_Standard_workspace_with_500_free_credits_W1_C1()
    {
        var owner = api.ClientFor("owner-" + Guid.NewGuid().ToString("N"));

        var response = await owner.PostAsJsonAsync("/workspaces", new { name = "Acme Support" }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal($"/workspaces/{created.GetProperty("id").GetString()}", response.Headers.Location!.OriginalString);
        Assert.Equal("Standard", created.GetProperty("type").GetString());
        Assert.Equal("Owner", created.GetProperty("callerRole").GetString());
        Assert.Equal(500m, created.GetProperty("freeCredits").GetProperty("amountUsd").GetDecimal());
        Assert.Equal(api.Clock.GetUtcNow().AddDays(90), created.GetProperty("freeCredits").GetProperty("expiresAt").GetDateTimeOffset());

        var fetched = await owner.GetFromJsonAsync<JsonElement>(response.Headers.Location, Ct);
        Assert.Equal("Acme Support", fetched.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Listing_workspaces_shows_the_callers_own_and_no_one_elses()
    {
        var owner = api.ClientFor("owner-" + Guid.NewGuid().ToString("N"));
        var stranger = api.ClientFor("stranger-" + Guid.NewGuid().ToString("N"));
        var first = await (await owner.PostAsJsonAsync("/workspaces", new { name = "Beta" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var second = await (await owner.PostAsJsonAsync("/workspaces", new { name = "Alpha" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        await stranger.PostAsJsonAsync("/workspaces", new { name = "Theirs" }, Ct);

        var mine = await owner.GetFromJsonAsync<JsonElement>("/workspaces", Ct);

        Assert.Equal([second.GetProperty("id").GetString(), first.GetProperty("id").GetString()], mine.EnumerateArray().Select(w => w.GetProperty("id").GetString()));
        Assert.All(mine.EnumerateArray(), w => Assert.Equal("Owner", w.GetProperty("callerRole").GetString()));
        Assert.Empty((await api.ClientFor("nobody-" + Guid.NewGuid().ToString("N")).GetFromJsonAsync<JsonElement>("/workspaces", Ct)).EnumerateArray());
    }

    [Fact]
    public async Task A_call_without_a_token_is_401()
    {
        var response = await api.AnonymousClient().PostAsJsonAsync("/workspaces", new { name = "x" }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_from_another_issuer_key_is_401()
    {
        var client = api.AnonymousClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");

        var response = await client.GetAsync("/workspaces/ws_00000000000000000000000000000000", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_non_member_gets_404_for_an_existing_workspace()
    {
        var owner = api.ClientFor("owner-" + Guid.NewGuid().ToString("N"));
        var location = (await owner.PostAsJsonAsync("/workspaces", new { name = "Private" }, Ct)).Headers.Location!;

        var response = await api.ClientFor("stranger-" + Guid.NewGuid().ToString("N")).GetAsync(location, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unknown_or_malformed_workspace_id_is_404()
    {
        var client = api.ClientFor("user-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/workspaces/ws_" + Guid.NewGuid().ToString("N"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/workspaces/not-an-id", Ct)).StatusCode);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"name": ""}""", "name" },
        { """{"name": "   "}""", "name" },
        { $$"""{"name": "{{new string('x', 101)}}"}""", "name" },
        { """{"name": 42}""", "name" },
        { """{}""", "name" },
        { """{"name": "ok",""", "body" },
        { "", "body" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_body_is_a_400_problem_naming_the_field(string body, string field)
    {
        var client = api.ClientFor("user-" + Guid.NewGuid().ToString("N"));

        var response = await client.PostAsync("/workspaces", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var errors = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains(errors, name => string.Equals(name, field, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Health_and_OpenAPI_answer()
    {
        var client = api.AnonymousClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", Ct)).StatusCode);
        var openApi = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/workspaces/{workspaceId}", out _));
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_Idempotency_Key_required_on_money_and_optional_on_creation()
    {
        var openApi = await api.AnonymousClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);

        static bool? KeyRequired(JsonElement operation) =>
            operation.TryGetProperty("parameters", out var parameters)
                ? parameters.EnumerateArray().Where(p => p.GetProperty("name").GetString() == "Idempotency-Key" && p.GetProperty("in").GetString() == "header")
                    .Select(p => (bool?)(p.TryGetProperty("required", out var r) && r.GetBoolean())).SingleOrDefault()
                : null;
        var paths = openApi.GetProperty("paths");

        Assert.True(KeyRequired(paths.GetProperty("/apps/{appId}/funds").GetProperty("post")));
        Assert.False(KeyRequired(paths.GetProperty("/workspaces").GetProperty("post")));
        Assert.Null(KeyRequired(paths.GetProperty("/workspaces/{workspaceId}").GetProperty("get")));
    }
}
