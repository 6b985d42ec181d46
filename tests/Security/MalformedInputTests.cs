using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Billing.Tests.Security;

/// <summary>
/// Safe (SPEC 11): at least 10,000 generated bad requests against every endpoint of the OpenAPI document (wrong types,
/// negative and huge amounts, overlong strings, missing fields, broken JSON, unknown and malformed ids), sent by the
/// target workspace's Owner (and an operator for operator endpoints) so that they reach validation. None may answer
/// 5xx, and the target workspace must read exactly the same afterwards. Every request is built to be invalid by
/// construction (a wrong JSON type, broken JSON, or an id that names nothing), so any change is a bug.
/// </summary>
public sealed class MalformedInputTests(SecurityFixture fixture) : IClassFixture<SecurityFixture>
{
    private const int Requests = 10_000;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ten_thousand_malformed_requests_get_no_5xx_and_change_nothing()
    {
        var world = await fixture.World();
        var seed = Environment.TickCount;
        var generator = new MalformedRequests(world, new Random(seed));
        var requests = Enumerable.Range(0, Requests).Select(generator.Next).ToList();
        var before = await world.SnapshotAsync();

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (bad, ct) =>
        {
            using var request = bad.Build();
            using var response = await bad.Caller.SendAsync(request, ct);
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (status >= 500)
                failures.Enqueue($"{bad}: {status} {await response.Content.ReadAsStringAsync(ct)}");
            else if (status is 400 or 403 or 404 or 409 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                failures.Enqueue($"{bad}: {status} without a problem detail");
        });

        var after = await world.SnapshotAsync();
        Assert.True(failures.IsEmpty, $"seed {seed}:\n" + string.Join('\n', failures.Take(20)));
        Assert.True(before == after, $"seed {seed}: the target workspace changed");
        Assert.Equal(Requests, statuses.Values.Sum());
        // The run reached validation, not only the id checks.
        Assert.True(statuses.GetValueOrDefault(400) > Requests / 4, $"statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}"))}");
    }
}

/// <summary>
/// Hostile values where parsing succeeds and only a range check can stop them: far-future, far-past and huge values
/// for every date, range and duration parameter of the OpenAPI document (query and body), and control and bidi
/// characters for every string field of every body. Each request carries exactly one such value beside otherwise
/// plausible input, sent by the target's Owner (an operator for operator endpoints): none may answer 5xx, none may
/// change the target workspace.
/// </summary>
public sealed class HostileValueTests(SecurityFixture fixture) : IClassFixture<SecurityFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Far_future_huge_and_control_character_values_get_no_5xx_and_change_nothing()
    {
        var world = await fixture.World();
        var requests = HostileRequests.All(world).ToList();
        var before = await world.SnapshotAsync();

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (bad, ct) =>
        {
            using var request = bad.Build();
            using var response = await bad.Caller.SendAsync(request, ct);
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (status >= 500)
                failures.Enqueue($"{bad}: {status} {await response.Content.ReadAsStringAsync(ct)}");
            else if (status is >= 200 and < 300 && bad.Method != HttpMethod.Get)
                failures.Enqueue($"{bad}: {status} accepted {await response.Content.ReadAsStringAsync(ct)}");
        });

        var after = await world.SnapshotAsync();
        Assert.True(failures.IsEmpty, $"{failures.Count} of {requests.Count}:\n" + string.Join('\n', failures.Take(30)));
        Assert.True(before == after, "the target workspace changed");
        Assert.True(requests.Count > 300, $"only {requests.Count} hostile requests were generated");
        Assert.True(statuses.GetValueOrDefault(400) > requests.Count / 2, $"statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}"))}");
    }
}

/// <summary>Builds the hostile-value requests from the OpenAPI document.</summary>
public static class HostileRequests
{
    /// <summary>Dates, numbers and durations that parse but lie far outside any sensible range.</summary>
    public static readonly string[] FarAndHuge =
    [
        "9999-12-31", "0001-01-01", "9999-12-31T23:59:59Z", "2147483647", "-2147483648", "9223372036854775807",
        "99999999999999999999999999999", "10675199.02:48:05.4775807", "P9999999D", "0",
    ];

    /// <summary>Control, format and bidi characters that no field of this API accepts.</summary>
    public static readonly string[] ControlText =
    [
        "\u0000", "a\u0000b", "\u0007bell", "\u001b[31mred", "del\u007f", "c1\u0085", "\u202Eevil.exe", "iso\u2066late",
    ];

    private static readonly string[] HugeNumbers =
    [
        "2147483647", "-2147483648", "9223372036854775807", "79228162514264337593543950335", "-79228162514264337593543950335", "1e308",
    ];

    public static IEnumerable<BadRequest> All(SecurityWorld world)
    {
        foreach (var op in world.OpenApi.Operations)
        {
            var caller = op.IsOperatorOnly ? world.Operator : world.Callers["Owner"];
            var path = op.Path(op.PathParameters.ToDictionary(p => p, world.IdFor));
            var validBody = op.BodySchema is { } s ? world.OpenApi.Sample(s, "", _ => null)?.ToJsonString() : null;

            // Every query parameter alone, then date ranges that reach far out on one side.
            foreach (var q in op.QueryParameters)
                foreach (var value in FarAndHuge.Concat(ControlText))
                    yield return new(caller, op.Method, $"{path}?{q}={Uri.EscapeDataString(value)}", validBody, "application/json", $"query-{q}");
            if (op.QueryParameters.Contains("from") && op.QueryParameters.Contains("to"))
            {
                foreach (var (from, to) in new[] { ("2026-01-01", "9999-12-31"), ("0001-01-01", "9999-12-31"), ("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-31") })
                {
                    yield return new(caller, op.Method, $"{path}?from={from}&to={to}", validBody, "application/json", "query-range");
                    if (op.QueryParameters.Contains("granularity"))
                        yield return new(caller, op.Method, $"{path}?granularity=month&from={from}&to={to}", validBody, "application/json", "query-range-month");
                }
            }

            if (op.BodySchema is not { } schema)
                continue;
            foreach (var (name, propertySchema) in world.OpenApi.Properties(schema))
            {
                var resolved = world.OpenApi.Resolve(propertySchema);
                var types = OpenApiDocument.Types(resolved);
                IEnumerable<string> values = types.Contains("integer") || types.Contains("number") ? HugeNumbers
                    : types.Contains("string") && !resolved.TryGetProperty("enum", out _) ? ControlText.Select(t => System.Text.Json.JsonSerializer.Serialize(t))
                        .Concat(resolved.TryGetProperty("format", out var format) && format.GetString() is "date" or "date-time" or "duration"
                            ? FarAndHuge.Select(v => System.Text.Json.JsonSerializer.Serialize(v)) : [])
                    : [];
                foreach (var raw in values)
                {
                    var body = (JsonObject)world.OpenApi.Sample(schema, "", _ => null)!;
                    body[name] = JsonNode.Parse(raw);
                    yield return new(caller, op.Method, path, body.ToJsonString(), "application/json", $"body-{name}");
                }
            }
        }
    }
}

/// <summary>One generated bad request.</summary>
public sealed record BadRequest(HttpClient Caller, HttpMethod Method, string Path, string? Body, string ContentType, string Kind)
{
    public HttpRequestMessage Build() =>
        SecurityWorld.Request(Method, Path, Body is null ? null : new StringContent(Body, Encoding.UTF8, ContentType));

    public override string ToString() => $"{Kind} {Method} {(Path.Length > 120 ? Path[..120] + "..." : Path)} {(Body is { Length: > 200 } b ? b[..200] + "..." : Body)}";
}

/// <summary>Builds bad requests from the OpenAPI document: every one of them is invalid by construction.</summary>
public sealed class MalformedRequests(SecurityWorld world, Random random)
{
    private static readonly string[] BrokenJson =
    [
        "{", "{\"name\": ", "[1, 2", "nul", "{\"a\": 1}}", "\u0000", "{'single': 'quotes'}", "{\"name\": \"x\",}",
        new string('[', 200) + new string(']', 200), "[]", "42", "\"text\"", "true", "-1e400",
    ];

    private static readonly string[] JunkQuery =
    [
        // None of these is a valid value of any query parameter: the reads fail on validation rather than run.
        "-1", "99999999999999999999999", "abc", "2026-13-45", "1e400", "%00", "NaN", "null", "[]", "ä😀", "1w;drop",
    ];

    private readonly IReadOnlyList<ApiOperation> _operations = world.OpenApi.Operations;

    public BadRequest Next(int index)
    {
        var op = _operations[index % _operations.Count];
        var caller = op.IsOperatorOnly && random.Next(10) > 0 ? world.Operator : world.Callers["Owner"];
        var canBreakBody = op.BodySchema is not null;
        var choice = random.Next(10);
        if (op.Method == HttpMethod.Get && op.TakesAnId && op.QueryParameters.Count > 0 && choice < 5)
            return JunkQueryRequest(op, caller);
        if (op.TakesAnId && (!canBreakBody || choice < 4))
            return UnknownId(op, caller);
        if (!canBreakBody) // no id, no body (a list with query options): only its query can be bad
            return JunkQueryRequest(op, caller);
        return choice < 8 && world.OpenApi.Properties(op.BodySchema!.Value).Count > 0 ? WrongType(op, caller) : BrokenBody(op, caller);
    }

    /// <summary>One id of the path replaced by a well-formed unknown id or by junk; the body valid or fuzzed.</summary>
    private BadRequest UnknownId(ApiOperation op, HttpClient caller)
    {
        var values = op.PathParameters.ToDictionary(p => p, world.IdFor);
        var replaced = op.PathParameters[random.Next(op.PathParameters.Count)];
        values[replaced] = random.Next(8) switch
        {
            0 => replaced switch { "workspaceId" => "ws_", "appId" => "app_", "invitationId" => "inv_", _ => "u-" } + Guid.NewGuid().ToString("N"),
            1 => new string('a', 3000),
            2 => "-1",
            3 => "ws_" + Guid.NewGuid().ToString("N")[..31] + "G",
            4 => "' OR 1=1 --",
            5 => "ünïcödé-😀",
            6 => "../../etc/passwd",
            _ => "app_" + Guid.NewGuid().ToString("N").ToUpperInvariant(),
        };
        string? body = null;
        if (op.BodySchema is { } schema)
        {
            var node = world.OpenApi.Sample(schema, "", _ => null);
            if (node is JsonObject obj && random.Next(2) == 0)
                FuzzOthers(obj, schema, except: null);
            body = node?.ToJsonString();
        }
        return new(caller, op.Method, op.Path(values), body, "application/json", $"unknown-{replaced}");
    }

    /// <summary>A declared property of the wrong JSON type (always a binding error), the others fuzzed or missing.</summary>
    private BadRequest WrongType(ApiOperation op, HttpClient caller)
    {
        var schema = op.BodySchema!.Value;
        var obj = (JsonObject)world.OpenApi.Sample(schema, "", _ => null)!;
        var properties = world.OpenApi.Properties(schema);
        var (name, propertySchema) = properties[random.Next(properties.Count)];
        FuzzOthers(obj, schema, except: name);
        var resolved = world.OpenApi.Resolve(propertySchema);
        obj[name] = OpenApiDocument.Types(resolved).Contains("array")
            ? JsonValue.Create(random.Next(-5, 5))
            : random.Next(3) switch
            {
                0 => new JsonObject { ["nested"] = new string('x', random.Next(1, 5000)) },
                1 => new JsonArray(1, "two", null),
                _ => new JsonArray(),
            };
        return new(caller, op.Method, op.Path(op.PathParameters.ToDictionary(p => p, world.IdFor)), obj.ToJsonString(), "application/json", $"wrong-type-{name}");
    }

    private BadRequest BrokenBody(ApiOperation op, HttpClient caller)
    {
        var path = op.Path(op.PathParameters.ToDictionary(p => p, world.IdFor));
        if (random.Next(6) == 0 && op.BodySchema is { } schema)
            return new(caller, op.Method, path, world.OpenApi.Sample(schema, "", _ => null)!.ToJsonString(), "text/plain", "wrong-content-type");
        return new(caller, op.Method, path, BrokenJson[random.Next(BrokenJson.Length)], "application/json", "broken-json");
    }

    /// <summary>Negative, zero, tiny, huge and out-of-range numbers, empty and overlong strings, nulls, unknown enum names, missing fields.</summary>
    private void FuzzOthers(JsonObject obj, JsonElement schema, string? except)
    {
        foreach (var (name, _) in world.OpenApi.Properties(schema))
        {
            if (name == except || random.Next(2) == 0)
                continue;
            switch (random.Next(11))
            {
                case 0: obj.Remove(name); break;
                case 1: obj[name] = -1; break;
                case 2: obj[name] = -100_000_000_000_000_000_000m; break;
                case 3: obj[name] = JsonNode.Parse("1e400"); break;
                case 4: obj[name] = JsonNode.Parse("79228162514264337593543950336"); break;
                case 5: obj[name] = 0.001m; break;
                case 6: obj[name] = new string('x', random.Next(300, 40_000)); break;
                case 7: obj[name] = ""; break;
                case 8: obj[name] = null; break;
                case 9: obj[name] = "NotAValue"; break;
                default: obj[name] = 0; break;
            }
        }
    }

    /// <summary>The path with the target's ids and every query option junk; no body.</summary>
    private BadRequest JunkQueryRequest(ApiOperation op, HttpClient caller) =>
        new(caller, op.Method, op.Path(world.Ids) + JunkQueryString(op), null, "application/json", "junk-query");

    private string JunkQueryString(ApiOperation op) =>
        "?" + string.Join('&', op.QueryParameters.Select(q => q + "=" + Uri.EscapeDataString(random.Next(8) == 0 ? new string('9', 5000) : JunkQuery[random.Next(JunkQuery.Length)])));
}
