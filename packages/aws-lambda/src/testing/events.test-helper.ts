// Lambda events built from the shapes AWS documents (typed with @types/aws-lambda), for the tests:
// no AWS account. Test-only: not part of the package.
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  EventBridgeEvent,
  LambdaFunctionURLEvent,
} from 'aws-lambda'

/** One HTTP delivery, as the tests describe it before it is shaped as an event. */
export interface HttpDelivery {
  method?: string
  /** The path the client asked for, without any stage segment. */
  path: string
  headers?: Record<string, string>
  body?: string
  /** The body as API Gateway passes binary media and Function URLs pass non-text bodies. */
  base64?: boolean
}

const ACCOUNT = '123456789012'
const TIME_EPOCH = 1_767_225_600_000

function bodyOf({ body, base64 }: HttpDelivery): { body: string | undefined; isBase64Encoded: boolean } {
  if (body === undefined) return { body: undefined, isBase64Encoded: false }
  return { body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body, isBase64Encoded: !!base64 }
}

/**
 * An API Gateway REST API proxy event (payload format 1.0). Its `path` has no stage segment;
 * `requestContext.path` has it. Headers keep the case the client sent, in both `headers` and
 * `multiValueHeaders`, as API Gateway fills them.
 */
export function restApiEvent(delivery: HttpDelivery, stage = 'prod'): APIGatewayProxyEvent {
  const method = delivery.method ?? 'POST'
  const headers = delivery.headers ?? {}
  const { body, isBase64Encoded } = bodyOf(delivery)
  return {
    resource: '/isc/triggers/{trigger}',
    path: delivery.path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body ?? null,
    isBase64Encoded,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'a1b2c3d4e5',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.10',
        user: null,
        userAgent: 'Apache-HttpClient/4.5.14 (Java/17)',
        userArn: null,
      },
      path: `/${stage}${delivery.path}`,
      stage,
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: TIME_EPOCH,
      resourceId: 'abc123',
      resourcePath: '/isc/triggers/{trigger}',
    },
  }
}

/**
 * An HTTP API event in payload format 2.0. Header names are lower case; on a named stage
 * `rawPath` and `requestContext.http.path` start with the stage, unless the request came through
 * a custom domain (`customDomain`), whose paths have no stage segment.
 */
export function httpApiEvent(
  delivery: HttpDelivery,
  { stage = '$default', customDomain = false }: { stage?: string; customDomain?: boolean } = {},
): APIGatewayProxyEventV2 {
  const method = delivery.method ?? 'POST'
  const rawPath = stage === '$default' || customDomain ? delivery.path : `/${stage}${delivery.path}`
  const domainName = customDomain ? 'hooks.acme.example' : 'a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com'
  const { body, isBase64Encoded } = bodyOf(delivery)
  const headers = Object.fromEntries(
    Object.entries(delivery.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  )
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: 'POST /isc/triggers/{trigger}',
    rawPath,
    rawQueryString: '',
    headers,
    isBase64Encoded,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'a1b2c3d4e5',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? '',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.10',
        userAgent: 'Apache-HttpClient/4.5.14 (Java/17)',
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: 'POST /isc/triggers/{trigger}',
      stage,
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: TIME_EPOCH,
    },
  }
  if (body !== undefined) event.body = body
  return event
}

/** A Lambda Function URL event: payload format 2.0, route key and stage `$default`. */
export function functionUrlEvent(delivery: HttpDelivery): LambdaFunctionURLEvent {
  const event = httpApiEvent(delivery)
  const domainName = 'abcdefghijklmnopqrstuvwxyz0123456.lambda-url.eu-central-1.on.aws'
  return {
    ...event,
    routeKey: '$default',
    requestContext: {
      ...event.requestContext,
      apiId: 'abcdefghijklmnopqrstuvwxyz0123456',
      domainName,
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz0123456',
      routeKey: '$default',
    },
  }
}

/**
 * An event of ISC's EVENTBRIDGE subscription type, as it reaches a rule target on the partner
 * event bus: `detail-type` is the trigger id, `detail` the payload with `_metadata`, `time` when
 * the event was put on the bus (now, unless given: a retry keeps its event's time).
 */
export function iscEvent(
  triggerId: string,
  detail: unknown,
  time = new Date().toISOString(),
): EventBridgeEvent<string, unknown> {
  const name = triggerId.slice(triggerId.indexOf(':') + 1)
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': triggerId,
    source: `aws.partner/sailpoint.com/2c9180835d2e5168015d32f890ca1581/idn/${name}`,
    account: ACCOUNT,
    time,
    region: 'eu-central-1',
    resources: [],
    detail,
  }
}
