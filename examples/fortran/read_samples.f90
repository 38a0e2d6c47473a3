! read_samples: decode the samples of an archive's streams with libsiqaco from Fortran and
! print one line per contiguous segment, in the format of examples/c/read_samples.c:
!   NSLC START END COUNT SUM MIN MAX
! Every segment is copied with siqaco_samples_copy_float64 into an allocatable array sized
! by a first call that asks for the count (SIQACO_STATUS_BUFFER_TOO_SMALL).
!
! Usage: read_samples [ROOT [SELECTION]]   (as examples/c/read_samples.c)
! Build: gfortran siqaco.f90 read_samples.f90 $(pkg-config --libs siqaco) -o read_samples_f
program read_samples
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit
  use siqaco
  implicit none

  character(len=4096) :: root, selection
  type(c_ptr) :: archive, samples
  type(siqaco_sample_segment) :: seg
  integer(c_int32_t) :: st
  integer(c_size_t) :: nseg, i, n
  real(c_double), allocatable :: values(:)
  real(c_double) :: dummy(1), total, lo, hi

  root = "tests/data/sds-small"
  selection = ""
  if (command_argument_count() >= 1) call get_command_argument(1, root)
  if (command_argument_count() >= 2) call get_command_argument(2, selection)

  archive = c_null_ptr
  samples = c_null_ptr
  st = siqaco_archive_open(trim(root)//c_null_char, "sds"//c_null_char, archive)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_archive_open", st)
  st = siqaco_archive_read(archive, trim(selection)//c_null_char, SIQACO_TIME_UNSET, &
    SIQACO_TIME_UNSET, samples)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_archive_read", st)

  nseg = 0
  st = siqaco_samples_segment_count(samples, nseg)
  do i = 0, nseg - 1
    st = siqaco_samples_segment(samples, i, seg)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_samples_segment", st)
    ! size query: a zero-length buffer gives BUFFER_TOO_SMALL and the count
    n = 0
    st = siqaco_samples_copy_float64(samples, i, dummy, 0_c_size_t, n)
    if (st /= SIQACO_STATUS_BUFFER_TOO_SMALL .and. st /= SIQACO_STATUS_OK) &
      call fail("siqaco_samples_copy_float64 (size)", st)
    if (allocated(values)) deallocate (values)
    allocate (values(max(n, 1_c_size_t)))
    st = siqaco_samples_copy_float64(samples, i, values, n, n)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_samples_copy_float64", st)
    total = 0
    lo = 0
    hi = 0
    if (n > 0) then
      lo = minval(values(1:n))
      hi = maxval(values(1:n))
      total = sum_in_order(values(1:n))
    end if
    write (*, '(a)') siqaco_f_chars(seg%nslc)//" "//iso(seg%start_ns)//" "//iso(seg%end_ns)// &
      " "//itoa(int(n, c_int64_t))//" "//fixed3(total)//" "//fixed3(lo)//" "//fixed3(hi)
  end do
  write (error_unit, '(a,i0,a)') "read_samples (Fortran): ", nseg, " segment(s)"

  if (allocated(values)) deallocate (values)
  call siqaco_samples_free(samples)
  call siqaco_archive_free(archive)

contains

  subroutine fail(what, status)
    character(len=*), intent(in) :: what
    integer(c_int32_t), intent(in) :: status
    write (error_unit, '(a,i0,a)') "read_samples: "//what//": "// &
      siqaco_f_string(siqaco_status_str(status))//" (", status, "): "//siqaco_f_last_error()
    call siqaco_samples_free(samples)
    call siqaco_archive_free(archive)
    error stop 1
  end subroutine fail

  ! The sum in index order (as the C example adds them).
  function sum_in_order(v) result(s)
    real(c_double), intent(in) :: v(:)
    real(c_double) :: s
    integer(c_size_t) :: k
    s = 0
    do k = 1, size(v, kind=c_size_t)
      s = s + v(k)
    end do
  end function sum_in_order

  ! A double with 3 decimals, as C's "%.3f".
  function fixed3(x) result(s)
    real(c_double), intent(in) :: x
    character(len=:), allocatable :: s
    character(len=40) :: buf
    write (buf, '(f40.3)') x
    s = trim(adjustl(buf))
  end function fixed3

  function itoa(n) result(s)
    integer(c_int64_t), intent(in) :: n
    character(len=:), allocatable :: s
    character(len=24) :: buf
    write (buf, '(i0)') n
    s = trim(buf)
  end function itoa

  ! ns since 1970 as YYYY-MM-DDTHH:MM:SS.uuuuuuZ, or with 9 digits when the time is not a
  ! whole microsecond (the CLI's format); "-" if unset.
  function iso(ns) result(s)
    integer(c_int64_t), intent(in) :: ns
    character(len=:), allocatable :: s
    integer(c_int64_t) :: secs, frac, days, sod, z, era, doe, yoe, doy, mp, y, m, d
    character(len=40) :: buf
    if (ns == SIQACO_TIME_UNSET) then
      s = "-"
      return
    end if
    secs = floor_div(ns, 1000000000_c_int64_t)
    frac = ns - secs * 1000000000_c_int64_t
    days = floor_div(secs, 86400_c_int64_t)
    sod = secs - days * 86400_c_int64_t
    ! civil_from_days (H. Hinnant)
    z = days + 719468
    era = floor_div(z, 146097_c_int64_t)
    doe = z - era * 146097
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    mp = (5 * doy + 2) / 153
    d = doy - (153 * mp + 2) / 5 + 1
    if (mp < 10) then
      m = mp + 3
    else
      m = mp - 9
    end if
    if (m <= 2) y = y + 1
    if (mod(frac, 1000_c_int64_t) == 0) then
      write (buf, '(i4.4,"-",i2.2,"-",i2.2,"T",i2.2,":",i2.2,":",i2.2,".",i6.6,"Z")') &
        y, m, d, sod / 3600, mod(sod, 3600_c_int64_t) / 60, mod(sod, 60_c_int64_t), frac / 1000
    else
      write (buf, '(i4.4,"-",i2.2,"-",i2.2,"T",i2.2,":",i2.2,":",i2.2,".",i9.9,"Z")') &
        y, m, d, sod / 3600, mod(sod, 3600_c_int64_t) / 60, mod(sod, 60_c_int64_t), frac
    end if
    s = trim(buf)
  end function iso

  function floor_div(a, b) result(q)
    integer(c_int64_t), intent(in) :: a, b
    integer(c_int64_t) :: q
    q = a / b
    if (mod(a, b) /= 0 .and. ((a < 0) .neqv. (b < 0))) q = q - 1
  end function floor_div
end program read_samples
