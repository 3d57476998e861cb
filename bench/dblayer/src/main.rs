//! Measures per-query cost of SeaORM 2 against sqlx 0.9 + sea-query 1.0 on SQLite, PostgreSQL and MariaDB:
//! single inserts, primary-key reads from four tasks, and inserts from 200 concurrent tasks.
use std::time::Instant;

const N_INSERT: usize = 5000;
const N_SELECT: usize = 20000;
const CONC: usize = 200;

fn now() -> i64 { std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 }

#[cfg(feature = "seaorm")]
mod imp {
    use super::*;
    use sea_orm::*;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "probe_users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub email: String,
        pub name: String,
        pub role: String,
        pub created_at: i64,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}

    pub async fn run(url: &str, label: &str) {
        let mut w = ConnectOptions::new(url.to_owned());
        let mut r = ConnectOptions::new(url.to_owned());
        let sqlite = url.starts_with("sqlite");
        w.max_connections(if sqlite { 1 } else { 16 }).sqlx_logging(false);
        r.max_connections(if sqlite { 4 } else { 16 }).sqlx_logging(false);
        let writer = Database::connect(w).await.unwrap();
        let reader = if sqlite { Database::connect(r).await.unwrap() } else { writer.clone() };
        if sqlite {
            writer.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000").await.unwrap();
        }
        writer.execute_unprepared("DROP TABLE IF EXISTS probe_users").await.unwrap();
        writer.execute_unprepared("CREATE TABLE probe_users (id VARCHAR(36) PRIMARY KEY, email VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, role VARCHAR(16) NOT NULL, created_at BIGINT NOT NULL)").await.unwrap();
        let t = Instant::now();
        for i in 0..N_INSERT {
            let am = ActiveModel { id: Set(format!("u{i}")), email: Set(format!("u{i}@x.org")), name: Set("n".into()), role: Set("user".into()), created_at: Set(now()) }
                ; Entity::insert(am).exec_without_returning(&writer).await.unwrap();
        }
        let ins = N_INSERT as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..4 { let reader = reader.clone(); tasks.push(tokio::spawn(async move {
            for i in 0..N_SELECT/4 { let id = format!("u{}", (i * 7 + c) % N_INSERT);
                let m = Entity::find_by_id(id).one(&reader).await.unwrap().unwrap(); assert!(m.created_at > 0); }
        }));}
        for t in tasks { t.await.unwrap(); }
        let sel = N_SELECT as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CONC { let writer = writer.clone(); tasks.push(tokio::spawn(async move {
            for i in 0..25 { let am = ActiveModel { id: Set(format!("c{c}-{i}")), email: Set("e".into()), name: Set("n".into()), role: Set("user".into()), created_at: Set(now()) }; Entity::insert(am).exec_without_returning(&writer).await.unwrap(); }
        }));}
        for t in tasks { t.await.unwrap(); }
        let cw = (CONC*25) as f64 / t.elapsed().as_secs_f64();
        println!("seaorm  {label:8} insert/s {ins:8.0}  select/s {sel:8.0}  concurrent-insert/s {cw:8.0}");
    }
}

#[cfg(feature = "rawsqlx")]
mod imp {
    use super::*;
    use sea_query::{Expr, ExprTrait, Iden, Query, PostgresQueryBuilder, MysqlQueryBuilder, SqliteQueryBuilder};
    use sea_query_sqlx::SqlxBinder;

    #[derive(Iden)] enum ProbeUsers { Table, Id, Email, Name, Role, CreatedAt }
    #[derive(sqlx::FromRow, Debug)] #[allow(dead_code)]
    struct Row { id: String, email: String, name: String, role: String, created_at: i64 }

    #[derive(Clone)]
    enum Pool { Sqlite(sqlx::SqlitePool), Pg(sqlx::PgPool), My(sqlx::MySqlPool) }
    macro_rules! exec { ($pool:expr, $q:expr) => { match $pool {
        Pool::Sqlite(p) => { let (s, v) = $q.build_sqlx(SqliteQueryBuilder); sqlx::query_with(sqlx::AssertSqlSafe(s), v).execute(p).await.map(|_|()) }
        Pool::Pg(p) => { let (s, v) = $q.build_sqlx(PostgresQueryBuilder); sqlx::query_with(sqlx::AssertSqlSafe(s), v).execute(p).await.map(|_|()) }
        Pool::My(p) => { let (s, v) = $q.build_sqlx(MysqlQueryBuilder); sqlx::query_with(sqlx::AssertSqlSafe(s), v).execute(p).await.map(|_|()) }
    }}}
    macro_rules! fetch_opt { ($pool:expr, $q:expr, $T:ty) => { match $pool {
        Pool::Sqlite(p) => { let (s, v) = $q.build_sqlx(SqliteQueryBuilder); sqlx::query_as_with::<_, $T, _>(sqlx::AssertSqlSafe(s), v).fetch_optional(p).await }
        Pool::Pg(p) => { let (s, v) = $q.build_sqlx(PostgresQueryBuilder); sqlx::query_as_with::<_, $T, _>(sqlx::AssertSqlSafe(s), v).fetch_optional(p).await }
        Pool::My(p) => { let (s, v) = $q.build_sqlx(MysqlQueryBuilder); sqlx::query_as_with::<_, $T, _>(sqlx::AssertSqlSafe(s), v).fetch_optional(p).await }
    }}}
    async fn raw(p: &Pool, sql: &str) { match p {
        Pool::Sqlite(x) => { sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(x).await.unwrap(); }
        Pool::Pg(x) => { sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(x).await.unwrap(); }
        Pool::My(x) => { sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(x).await.unwrap(); }
    }}
    fn insert(id: String) -> sea_query::InsertStatement {
        Query::insert().into_table(ProbeUsers::Table).columns([ProbeUsers::Id, ProbeUsers::Email, ProbeUsers::Name, ProbeUsers::Role, ProbeUsers::CreatedAt])
            .values_panic([id.into(), "e".into(), "n".into(), "user".into(), now().into()]).to_owned()
    }
    pub async fn run(url: &str, label: &str) {
        use sqlx::pool::PoolOptions;
        let (writer, reader) = if url.starts_with("sqlite") {
            use std::str::FromStr;
            let o = sqlx::sqlite::SqliteConnectOptions::from_str(url).unwrap().create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal).synchronous(sqlx::sqlite::SqliteSynchronous::Normal).busy_timeout(std::time::Duration::from_secs(5));
            (Pool::Sqlite(PoolOptions::new().max_connections(1).connect_with(o.clone()).await.unwrap()),
             Pool::Sqlite(PoolOptions::new().max_connections(4).connect_with(o).await.unwrap()))
        } else if url.starts_with("postgres") {
            let p = PoolOptions::new().max_connections(16).connect(url).await.unwrap(); (Pool::Pg(p.clone()), Pool::Pg(p))
        } else { let p = PoolOptions::new().max_connections(16).connect(url).await.unwrap(); (Pool::My(p.clone()), Pool::My(p)) };
        raw(&writer, "DROP TABLE IF EXISTS probe_users").await;
        raw(&writer, "CREATE TABLE probe_users (id VARCHAR(36) PRIMARY KEY, email VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, role VARCHAR(16) NOT NULL, created_at BIGINT NOT NULL)").await;
        let t = Instant::now();
        for i in 0..N_INSERT { exec!(&writer, insert(format!("u{i}"))).unwrap(); }
        let ins = N_INSERT as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..4 { let reader = reader.clone(); tasks.push(tokio::spawn(async move {
            for i in 0..N_SELECT/4 { let id = format!("u{}", (i * 7 + c) % N_INSERT);
                let q = Query::select().columns([ProbeUsers::Id, ProbeUsers::Email, ProbeUsers::Name, ProbeUsers::Role, ProbeUsers::CreatedAt]).from(ProbeUsers::Table).and_where(Expr::col(ProbeUsers::Id).eq(id)).to_owned();
                let m = fetch_opt!(&reader, q, Row).unwrap().unwrap(); assert!(m.created_at > 0); }
        }));}
        for t in tasks { t.await.unwrap(); }
        let sel = N_SELECT as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CONC { let writer = writer.clone(); tasks.push(tokio::spawn(async move {
            for i in 0..25 { exec!(&writer, insert(format!("c{c}-{i}"))).unwrap(); }
        }));}
        for t in tasks { t.await.unwrap(); }
        let cw = (CONC*25) as f64 / t.elapsed().as_secs_f64();
        println!("sqlx+sq {label:8} insert/s {ins:8.0}  select/s {sel:8.0}  concurrent-insert/s {cw:8.0}");
    }
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("dbprobe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = format!("sqlite://{}/p.db?mode=rwc", dir.display());
    imp::run(&sqlite, "sqlite").await;
    imp::run("postgres://postgres@127.0.0.1:5432/test", "postgres").await;
    imp::run("mysql://root@127.0.0.1:3306/test", "mariadb").await;
}
